//! The model backend: the driver engine on `serial-model`'s simulated NT kernel and 16550 board.
//!
//! Time is the machine's virtual clock. Starting an overlapped request runs the machine until the
//! driver's dispatch routine has returned (the request pended or completed; the routine's register
//! accesses take their time), as an overlapped ReadFile has by the time it returns
//! ERROR_IO_PENDING. Waiting runs the machine
//! until the request completes or the timeout has passed in virtual time, so a scenario that waits
//! 5 s costs only the events in those 5 s.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serial_engine::DeviceConfig;
use serial_model::kernel::{
    Completion, Machine, MachineConfig, Operation, RequestHandle as ModelHandle, Strategy,
};
use serial_model::uart::{FrameFormat, LineErrors, ModemInputs, Parity, StopBits};
use serial_model::wire::Topology as Wiring;

use crate::port::{
    Bench, BenchFactory, Counters, FrameSpec, IoResult, LineChange, LineFault, OpenRefused, Peer,
    Port, PortError, RequestHandle, Topology,
};
use crate::time::{Millis, Timestamp, Timing, UNITS_PER_MS};

/// How long starting a request may run the machine before its dispatch routine returns.
pub const DISPATCH_LIMIT: u64 = 100 * UNITS_PER_MS;

/// Builds a fresh simulated machine per scenario.
#[derive(Clone, Debug)]
pub struct ModelTarget {
    /// Virtual CPUs.
    pub cpus: usize,
    /// Timer tick in 100-ns units (the model's default is 1 ms).
    pub timer_tick: Option<u64>,
    /// Engine settings for every port.
    pub device: DeviceConfig,
}

impl Default for ModelTarget {
    fn default() -> Self {
        Self {
            cpus: 2,
            timer_tick: None,
            device: DeviceConfig::default(),
        }
    }
}

impl ModelTarget {
    /// The machine configuration for one run.
    #[must_use]
    pub fn config(&self, topology: Topology, seed: u64) -> MachineConfig {
        let mut config = MachineConfig {
            cpus: self.cpus.max(1),
            strategy: Strategy::Random { seed },
            topology: wiring(topology),
            device: self.device,
            panic_on_violation: false,
            ..MachineConfig::default()
        };
        if let Some(tick) = self.timer_tick {
            config.timer_tick = tick;
        }
        config
    }
}

impl BenchFactory for ModelTarget {
    fn name(&self) -> String {
        "model".to_owned()
    }

    fn supports(&self, _topology: Topology) -> Result<(), String> {
        Ok(())
    }

    fn is_model(&self) -> bool {
        true
    }

    fn create(&self, topology: Topology, seed: u64) -> Result<Box<dyn Bench>, String> {
        Ok(Box::new(ModelBench::new(self.config(topology, seed))))
    }

    fn replay_args(&self) -> Vec<String> {
        vec![
            "--model".to_owned(),
            "--cpus".to_owned(),
            self.cpus.to_string(),
        ]
    }
}

/// The board wiring for a topology.
#[must_use]
pub const fn wiring(topology: Topology) -> Wiring {
    match topology {
        Topology::None => Wiring::Nothing,
        Topology::Loopback => Wiring::Loopback,
        Topology::NullModem => Wiring::NullModem,
        Topology::Peer => Wiring::Peer,
    }
}

type Shared = Rc<RefCell<Machine>>;

/// One simulated machine with its ports (and peer, if wired to one).
pub struct ModelBench {
    machine: Shared,
    peer: Option<ModelPeer>,
}

impl std::fmt::Debug for ModelBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelBench").finish_non_exhaustive()
    }
}

impl ModelBench {
    /// A machine built from `config`.
    #[must_use]
    pub fn new(config: MachineConfig) -> Self {
        let has_peer = config.topology == Wiring::Peer;
        let machine = Rc::new(RefCell::new(Machine::new(config)));
        let peer = has_peer.then(|| ModelPeer {
            machine: Rc::clone(&machine),
            lines: ModemInputs::default(),
        });
        Self { machine, peer }
    }

    /// The machine, for callers that need more than the [`Bench`] view (the demo's statistics).
    #[must_use]
    pub fn machine(&self) -> Rc<RefCell<Machine>> {
        Rc::clone(&self.machine)
    }

    /// Opens `index` as a concrete [`ModelPort`].
    ///
    /// # Errors
    /// [`OpenRefused`] with the create status.
    pub fn open_port(&mut self, index: usize) -> Result<ModelPort, OpenRefused> {
        let status = self.machine.borrow_mut().open(index);
        if status.is_success() {
            Ok(ModelPort {
                machine: Rc::clone(&self.machine),
                index,
                open: true,
                outstanding: BTreeMap::new(),
            })
        } else {
            Err(OpenRefused {
                status,
                detail: format!("IRP_MJ_CREATE on model port {index}"),
            })
        }
    }
}

impl Bench for ModelBench {
    fn name(&self) -> String {
        "model".to_owned()
    }

    fn timing(&self) -> Timing {
        Timing::Virtual
    }

    fn open(&mut self, index: usize) -> Result<Box<dyn Port>, OpenRefused> {
        let ports = self.machine.borrow().board().port_count();
        if index >= ports {
            return Err(OpenRefused {
                status: crate::win32::errors::STATUS_OBJECT_NAME_NOT_FOUND,
                detail: format!("the model board has {ports} port(s)"),
            });
        }
        self.open_port(index)
            .map(|port| Box::new(port) as Box<dyn Port>)
    }

    fn now(&self) -> Timestamp {
        Timestamp(self.machine.borrow().now())
    }

    fn sleep(&mut self, ms: Millis) {
        self.machine
            .borrow_mut()
            .run_for(ms.saturating_mul(UNITS_PER_MS));
    }

    fn peer(&mut self) -> Option<&mut dyn Peer> {
        self.peer.as_mut().map(|peer| peer as &mut dyn Peer)
    }

    fn counters(&self) -> Option<Counters> {
        let stats = self.machine.borrow().stats();
        Some(Counters {
            interrupts: stats.interrupts_delivered,
            dpcs: stats
                .total_dpc_runs()
                .saturating_add(stats.timer_dpc_runs.values().sum::<u64>()),
            requests_completed: stats.requests_completed,
        })
    }

    fn violations(&self) -> Vec<String> {
        self.machine
            .borrow()
            .violations()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

/// One open handle to a model port.
pub struct ModelPort {
    machine: Shared,
    index: usize,
    open: bool,
    outstanding: BTreeMap<u64, ModelHandle>,
}

impl std::fmt::Debug for ModelPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelPort")
            .field("index", &self.index)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl ModelPort {
    /// The port index on the board.
    #[must_use]
    pub const fn index(&self) -> usize {
        self.index
    }

    fn submit(&mut self, operation: Operation) -> Result<RequestHandle, PortError> {
        if !self.open {
            return Err(PortError::Closed);
        }
        let mut machine = self.machine.borrow_mut();
        let handle = machine.submit(self.index, operation);
        // The driver's dispatch routine returns before the caller goes on (see the module docs).
        machine.run_until_dispatched(handle, DISPATCH_LIMIT);
        drop(machine);
        self.outstanding.insert(handle.id, handle);
        Ok(RequestHandle(handle.id))
    }

    fn lookup(&self, handle: RequestHandle) -> Result<ModelHandle, PortError> {
        self.outstanding
            .get(&handle.0)
            .copied()
            .ok_or(PortError::UnknownHandle(handle))
    }
}

/// A model completion as an [`IoResult`].
#[must_use]
pub fn io_result(completion: Completion) -> IoResult {
    IoResult {
        status: completion.status,
        information: completion.information,
        data: completion.output,
        started: Timestamp(completion.submitted_at),
        finished: Timestamp(completion.completed_at),
    }
}

impl Port for ModelPort {
    fn label(&self) -> String {
        format!("model port {}", self.index)
    }

    fn start_read(&mut self, len: usize) -> Result<RequestHandle, PortError> {
        self.submit(Operation::Read { len })
    }

    fn start_write(&mut self, data: &[u8]) -> Result<RequestHandle, PortError> {
        self.submit(Operation::Write {
            data: data.to_vec(),
        })
    }

    fn start_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<RequestHandle, PortError> {
        self.submit(Operation::DeviceControl {
            code,
            input: input.to_vec(),
            output_len,
        })
    }

    fn start_internal_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<RequestHandle, PortError> {
        self.submit(Operation::InternalDeviceControl {
            code,
            input: input.to_vec(),
            output_len,
        })
    }

    fn start_flush(&mut self) -> Result<RequestHandle, PortError> {
        self.submit(Operation::Flush)
    }

    fn start_query_information(
        &mut self,
        class: u32,
        len: usize,
    ) -> Result<RequestHandle, PortError> {
        self.submit(Operation::QueryInformation { class, len })
    }

    fn start_set_information(
        &mut self,
        class: u32,
        input: &[u8],
    ) -> Result<RequestHandle, PortError> {
        self.submit(Operation::SetInformation {
            class,
            input: input.to_vec(),
        })
    }

    fn cancel(&mut self, handle: RequestHandle) -> Result<(), PortError> {
        let model = self.lookup(handle)?;
        let mut machine = self.machine.borrow_mut();
        machine.cancel(model);
        machine.run_for(0);
        Ok(())
    }

    fn wait(
        &mut self,
        handle: RequestHandle,
        timeout_ms: Millis,
    ) -> Result<Option<IoResult>, PortError> {
        let model = self.lookup(handle)?;
        let completion = self
            .machine
            .borrow_mut()
            .run_until_complete(model, timeout_ms.saturating_mul(UNITS_PER_MS));
        Ok(completion.map(|completion| {
            self.outstanding.remove(&handle.0);
            io_result(completion)
        }))
    }

    fn now(&self) -> Timestamp {
        Timestamp(self.machine.borrow().now())
    }

    fn close(&mut self) -> Result<(), PortError> {
        if !self.open {
            return Err(PortError::Closed);
        }
        self.open = false;
        let mut machine = self.machine.borrow_mut();
        machine.close(self.index);
        machine.run_for(0);
        Ok(())
    }
}

/// The scripted peer of a [`ModelBench`] wired with [`Topology::Peer`].
struct ModelPeer {
    machine: Shared,
    /// The levels this harness last asked for (the peer applies scheduled changes later).
    lines: ModemInputs,
}

/// The model's frame format for a [`FrameSpec`].
#[must_use]
pub fn frame_format(spec: FrameSpec) -> FrameFormat {
    let parity = match spec.parity {
        'O' => Parity::Odd,
        'E' => Parity::Even,
        'M' => Parity::Mark,
        'S' => Parity::Space,
        _ => Parity::None,
    };
    let stop = match spec.half_stop_bits {
        3 => StopBits::OneAndHalf,
        4 => StopBits::Two,
        _ => StopBits::One,
    };
    FrameFormat::new(spec.baud, spec.data_bits, parity, stop)
}

impl ModelPeer {
    fn with_peer<R>(
        &mut self,
        delay_ms: Millis,
        f: impl FnOnce(&mut serial_model::peer::ScriptedPeer, u64) -> R,
    ) -> Result<R, PortError> {
        let mut machine = self.machine.borrow_mut();
        let at = machine
            .now()
            .saturating_add(delay_ms.saturating_mul(UNITS_PER_MS));
        let mut board = machine.board_mut();
        let peer = board
            .peer()
            .ok_or_else(|| PortError::Unsupported("this board has no peer".into()))?;
        Ok(f(peer, at))
    }
}

impl Peer for ModelPeer {
    fn send(
        &mut self,
        bytes: &[u8],
        frame: Option<FrameSpec>,
        delay_ms: Millis,
    ) -> Result<(), PortError> {
        self.with_peer(delay_ms, |peer, at| {
            if let Some(spec) = frame {
                peer.set_format(frame_format(spec));
            }
            peer.send(bytes, at);
        })?;
        self.machine.borrow_mut().run_for(0);
        Ok(())
    }

    fn send_fault(
        &mut self,
        fault: LineFault,
        data: u8,
        delay_ms: Millis,
    ) -> Result<(), PortError> {
        self.with_peer(delay_ms, |peer, at| match fault {
            LineFault::Break => {
                peer.send_break(at);
            }
            LineFault::Parity => {
                let errors = LineErrors {
                    parity: true,
                    ..LineErrors::NONE
                };
                peer.send_char(data, errors, at);
            }
            LineFault::Framing => {
                let errors = LineErrors {
                    framing: true,
                    ..LineErrors::NONE
                };
                peer.send_char(data, errors, at);
            }
        })?;
        self.machine.borrow_mut().run_for(0);
        Ok(())
    }

    fn set_lines(&mut self, change: LineChange, delay_ms: Millis) -> Result<(), PortError> {
        let lines = ModemInputs {
            cts: change.cts.unwrap_or(self.lines.cts),
            dsr: change.dsr.unwrap_or(self.lines.dsr),
            ri: change.ri.unwrap_or(self.lines.ri),
            dcd: change.dcd.unwrap_or(self.lines.dcd),
        };
        self.lines = lines;
        self.with_peer(delay_ms, |peer, at| peer.set_lines(lines, at))?;
        self.machine.borrow_mut().run_for(0);
        Ok(())
    }

    fn received(&mut self) -> Result<Vec<u8>, PortError> {
        let machine = self.machine.borrow();
        let board = machine.board();
        // A break the port sent arrives as one all-zero character, as a real peer's UART and
        // driver store it.
        board
            .peer_ref()
            .map(serial_model::peer::ScriptedPeer::received_bytes)
            .ok_or_else(|| PortError::Unsupported("this board has no peer".into()))
    }

    fn clear_received(&mut self) {
        let _ = self.with_peer(0, |peer, _| {
            peer.take_received();
        });
    }
}
