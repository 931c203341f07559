//! I/O requests: what a test submits ([`Operation`]), the move-only token the driver holds
//! ([`ModelRequest`], KMDF cancel semantics), and what comes back ([`Completion`]).

use std::fmt;
use std::sync::Arc;

use serial_engine::kernel::{Cancelled, Request, RequestId};
use serial_ioctl::NtStatus;

use super::allocation::Scope;
use super::cpu::Shared;
use super::irql::Irql;
use super::verifier::rule;
use super::world::{CancelState, Job, JobKind};

/// An I/O operation as a user-mode caller issues it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// ReadFile of `len` bytes.
    Read {
        /// Buffer length.
        len: usize,
    },
    /// WriteFile of `data`.
    Write {
        /// The bytes to send.
        data: Vec<u8>,
    },
    /// FlushFileBuffers.
    Flush,
    /// DeviceIoControl.
    DeviceControl {
        /// The IOCTL code.
        code: u32,
        /// Input buffer.
        input: Vec<u8>,
        /// Output buffer length.
        output_len: usize,
    },
    /// IRP_MJ_INTERNAL_DEVICE_CONTROL from another driver.
    InternalDeviceControl {
        /// The IOCTL code.
        code: u32,
        /// Input buffer.
        input: Vec<u8>,
        /// Output buffer length.
        output_len: usize,
    },
    /// IRP_MJ_QUERY_INFORMATION (GetFileSizeEx, GetFileInformationByHandleEx, a seek's query).
    QueryInformation {
        /// The FILE_INFORMATION_CLASS.
        class: u32,
        /// Output buffer length.
        len: usize,
    },
    /// IRP_MJ_SET_INFORMATION (SetEndOfFile, SetFilePointerEx, …).
    SetInformation {
        /// The FILE_INFORMATION_CLASS.
        class: u32,
        /// The information structure.
        input: Vec<u8>,
    },
}

/// The major function a request arrives with (the dispatch routine it goes to).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MajorFunction {
    /// IRP_MJ_READ.
    Read,
    /// IRP_MJ_WRITE.
    Write,
    /// IRP_MJ_FLUSH_BUFFERS.
    Flush,
    /// IRP_MJ_DEVICE_CONTROL with its code.
    DeviceControl(u32),
    /// IRP_MJ_INTERNAL_DEVICE_CONTROL with its code.
    InternalDeviceControl(u32),
    /// IRP_MJ_QUERY_INFORMATION with its information class.
    QueryInformation(u32),
    /// IRP_MJ_SET_INFORMATION with its information class.
    SetInformation(u32),
}

impl MajorFunction {
    /// The IRP_MJ_* name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Read => "IRP_MJ_READ",
            Self::Write => "IRP_MJ_WRITE",
            Self::Flush => "IRP_MJ_FLUSH_BUFFERS",
            Self::DeviceControl(_) => "IRP_MJ_DEVICE_CONTROL",
            Self::InternalDeviceControl(_) => "IRP_MJ_INTERNAL_DEVICE_CONTROL",
            Self::QueryInformation(_) => "IRP_MJ_QUERY_INFORMATION",
            Self::SetInformation(_) => "IRP_MJ_SET_INFORMATION",
        }
    }
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The completion status.
    pub status: NtStatus,
    /// IoStatus.Information.
    pub information: usize,
    /// For reads and IOCTLs, the first `information` bytes of the output buffer; empty otherwise.
    pub output: Vec<u8>,
    /// Virtual time the request was submitted.
    pub submitted_at: u64,
    /// Virtual time it was completed.
    pub completed_at: u64,
}

/// Names a submitted request.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle {
    /// The port it was sent to.
    pub port: usize,
    /// Its id (the [`RequestId`] the driver sees).
    pub id: u64,
}

/// Fill pattern of output buffers: the I/O manager does not zero them, so a driver that reports
/// bytes it never wrote returns this.
pub const UNWRITTEN_BYTE: u8 = 0xCD;

/// The request token the driver holds. Move-only; completing consumes it; dropping it uncompleted
/// is a violation.
pub struct ModelRequest {
    shared: Arc<Shared>,
    id: u64,
    major: MajorFunction,
    /// One system buffer (METHOD_BUFFERED shares it between input and output).
    buffer: Vec<u8>,
    input_len: usize,
    output_len: usize,
    completed: bool,
}

impl fmt::Debug for ModelRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelRequest")
            .field("id", &self.id)
            .field("major", &self.major)
            .finish_non_exhaustive()
    }
}

impl ModelRequest {
    pub(crate) fn new(shared: Arc<Shared>, id: u64, operation: Operation) -> (Self, MajorFunction) {
        let (major, buffer, input_len, output_len) = match operation {
            Operation::Read { len } => (MajorFunction::Read, vec![UNWRITTEN_BYTE; len], 0, len),
            Operation::Write { data } => {
                let len = data.len();
                (MajorFunction::Write, data, len, 0)
            }
            Operation::Flush => (MajorFunction::Flush, Vec::new(), 0, 0),
            Operation::DeviceControl {
                code,
                input,
                output_len,
            } => {
                let (buffer, input_len) = shared_buffer(input, output_len);
                (
                    MajorFunction::DeviceControl(code),
                    buffer,
                    input_len,
                    output_len,
                )
            }
            Operation::InternalDeviceControl {
                code,
                input,
                output_len,
            } => {
                let (buffer, input_len) = shared_buffer(input, output_len);
                (
                    MajorFunction::InternalDeviceControl(code),
                    buffer,
                    input_len,
                    output_len,
                )
            }
            Operation::QueryInformation { class, len } => (
                MajorFunction::QueryInformation(class),
                vec![UNWRITTEN_BYTE; len],
                0,
                len,
            ),
            Operation::SetInformation { class, input } => {
                let len = input.len();
                (MajorFunction::SetInformation(class), input, len, 0)
            }
        };
        (
            Self {
                shared,
                id,
                major,
                buffer,
                input_len,
                output_len,
                completed: false,
            },
            major,
        )
    }

    /// The major function.
    #[must_use]
    pub const fn major(&self) -> MajorFunction {
        self.major
    }

    /// Marks the request done without a completion record (a request the machine itself
    /// withdraws, e.g. one never dispatched at teardown).
    pub(crate) fn withdraw(mut self) {
        self.completed = true;
    }

    /// Completion with the status and Information; returns the record's output bytes.
    fn output_bytes(&self, information: usize) -> Vec<u8> {
        match self.major {
            MajorFunction::Read
            | MajorFunction::DeviceControl(_)
            | MajorFunction::InternalDeviceControl(_)
            | MajorFunction::QueryInformation(_) => self
                .buffer
                .get(..information.min(self.output_len))
                .unwrap_or_default()
                .to_vec(),
            MajorFunction::Write | MajorFunction::Flush | MajorFunction::SetInformation(_) => {
                Vec::new()
            }
        }
    }

    fn information_limit(&self) -> usize {
        match self.major {
            MajorFunction::Read
            | MajorFunction::DeviceControl(_)
            | MajorFunction::InternalDeviceControl(_)
            | MajorFunction::QueryInformation(_) => self.output_len,
            MajorFunction::Write => self.input_len,
            MajorFunction::Flush | MajorFunction::SetInformation(_) => 0,
        }
    }
}

fn shared_buffer(mut input: Vec<u8>, output_len: usize) -> (Vec<u8>, usize) {
    let input_len = input.len();
    if input.len() < output_len {
        input.resize(output_len, UNWRITTEN_BYTE);
    }
    (input, input_len)
}

impl Request for ModelRequest {
    fn id(&self) -> RequestId {
        RequestId(self.id)
    }

    fn input(&self) -> &[u8] {
        match self.major {
            MajorFunction::Write
            | MajorFunction::DeviceControl(_)
            | MajorFunction::InternalDeviceControl(_)
            | MajorFunction::SetInformation(_) => {
                self.buffer.get(..self.input_len).unwrap_or_default()
            }
            MajorFunction::Read | MajorFunction::Flush | MajorFunction::QueryInformation(_) => &[],
        }
    }

    fn output(&mut self) -> &mut [u8] {
        match self.major {
            MajorFunction::Read
            | MajorFunction::DeviceControl(_)
            | MajorFunction::InternalDeviceControl(_)
            | MajorFunction::QueryInformation(_) => {
                self.buffer.get_mut(..self.output_len).unwrap_or_default()
            }
            MajorFunction::Write | MajorFunction::Flush | MajorFunction::SetInformation(_) => {
                &mut []
            }
        }
    }

    fn mark_cancelable(&mut self) -> Result<(), Cancelled> {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        world.check_irql(cpu, Irql::DISPATCH, "WdfRequestMarkCancelableEx");
        let id = self.id;
        let Some(state) = world.requests.get_mut(&id) else {
            return Ok(());
        };
        let (next, result) = match state.cancel {
            CancelState::Normal {
                cancel_requested: true,
            } => (state.cancel, Err(Cancelled)),
            CancelState::Normal {
                cancel_requested: false,
            } => (CancelState::Cancelable, Ok(())),
            CancelState::Cancelable => {
                world.violate(
                    rule::MARK_CANCELABLE_TWICE,
                    cpu,
                    format!("request #{id} marked cancelable twice"),
                );
                return Ok(());
            }
            CancelState::CallbackScheduled | CancelState::CallbackOwns => {
                (state.cancel, Err(Cancelled))
            }
        };
        state.cancel = next;
        let cancel_now = result.is_ok() && std::mem::take(&mut state.cancel_when_marked);
        let port = state.port;
        world.event(cpu, || {
            format!(
                "mark cancelable #{id} -> {}",
                if result.is_ok() { "ok" } else { "cancelled" }
            )
        });
        if cancel_now {
            // CancelIoEx right after the mark: KMDF calls EvtRequestCancel at once, once.
            if let Some(state) = world.requests.get_mut(&id) {
                state.cancel = CancelState::CallbackScheduled;
            }
            let job = world.fresh_id();
            world.jobs.push_back(Job {
                id: job,
                port,
                cpu: None,
                kind: JobKind::Cancel(RequestId(id)),
            });
            world.event(cpu, || format!("cancel #{id}"));
        }
        result
    }

    fn unmark_cancelable(&mut self) -> Result<(), Cancelled> {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        world.check_irql(cpu, Irql::DISPATCH, "WdfRequestUnmarkCancelable");
        let id = self.id;
        let Some(state) = world.requests.get_mut(&id) else {
            return Ok(());
        };
        let result = match state.cancel {
            CancelState::Cancelable => {
                state.cancel = CancelState::Normal {
                    cancel_requested: false,
                };
                Ok(())
            }
            CancelState::CallbackScheduled | CancelState::CallbackOwns => Err(Cancelled),
            CancelState::Normal { .. } => {
                world.violate(
                    rule::UNMARK_NOT_CANCELABLE,
                    cpu,
                    format!("request #{id} unmarked cancelable but it is not cancelable"),
                );
                Ok(())
            }
        };
        world.event(cpu, || {
            format!(
                "unmark cancelable #{id} -> {}",
                if result.is_ok() { "ok" } else { "cancelled" }
            )
        });
        result
    }

    fn complete(mut self, status: NtStatus, information: usize) {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        let id = self.id;
        let what = self.major.name();
        world.check_irql(cpu, Irql::DISPATCH, "WdfRequestCompleteWithInformation");
        if let Some(c) = cpu {
            let spin_locks: Vec<String> = world.cpus[c]
                .held
                .iter()
                .filter(|lock| world.locks.get(lock.0).is_some_and(|l| !l.interrupt))
                .map(|&lock| world.lock_name(lock))
                .collect();
            if !spin_locks.is_empty() {
                world.violate(
                    rule::COMPLETE_UNDER_SPIN_LOCK,
                    cpu,
                    format!(
                        "request #{id} ({what}) completed while holding {}",
                        spin_locks.join(", ")
                    ),
                );
            }
        }
        if status == NtStatus::PENDING {
            world.violate(
                rule::COMPLETE_WITH_PENDING,
                cpu,
                format!("request #{id} ({what}) completed with STATUS_PENDING"),
            );
        }
        let limit = self.information_limit();
        if information > limit {
            world.violate(
                rule::INFORMATION_TOO_LARGE,
                cpu,
                format!("request #{id} ({what}) completed with Information {information} > buffer length {limit}"),
            );
        }
        let now = world.now;
        let mut submitted_at = now;
        if let Some(state) = world.requests.get_mut(&id) {
            submitted_at = state.submitted_at;
            let already = state.completed;
            let cancel = state.cancel;
            state.completed = true;
            if already {
                world.violate(
                    rule::DOUBLE_COMPLETION,
                    cpu,
                    format!("request #{id} ({what}) completed twice"),
                );
            }
            match cancel {
                CancelState::Cancelable => world.violate(
                    rule::COMPLETE_CANCELABLE,
                    cpu,
                    format!("request #{id} ({what}) completed while still marked cancelable"),
                ),
                CancelState::CallbackScheduled => world.violate(
                    rule::COMPLETE_CANCELED_REQUEST,
                    cpu,
                    format!("request #{id} ({what}) completed after it was cancelled; its cancel callback owns it"),
                ),
                CancelState::Normal { .. } | CancelState::CallbackOwns => {}
            }
        }
        // Completion itself is O(1) at DISPATCH_LEVEL: buffered read data is copied to the caller
        // in its own thread, and the bytes a driver moved into or out of a read or write buffer
        // were charged when it moved them (Kernel::bytes_copied). An IOCTL's output is charged here.
        let copied = match self.major {
            MajorFunction::DeviceControl(_)
            | MajorFunction::InternalDeviceControl(_)
            | MajorFunction::QueryInformation(_) => information,
            MajorFunction::Read
            | MajorFunction::Write
            | MajorFunction::Flush
            | MajorFunction::SetInformation(_) => 0,
        };
        let cost = world
            .config
            .cost_budget
            .byte_ns
            .saturating_mul(copied as u64);
        world.charge(cpu, cost);
        world.stats.requests_completed += 1;
        let output = self.output_bytes(information);
        world.event(cpu, || {
            format!("complete #{id} {what} {status} info {information}")
        });
        let now = world.now;
        if let Some(timeline) = world.timeline.as_mut() {
            timeline.marks.push(super::timeline::Mark::Completed(now));
        }
        world.new_completions.push((
            id,
            Completion {
                status,
                information,
                output,
                submitted_at,
                completed_at: now,
            },
        ));
        self.completed = true;
    }
}

impl Drop for ModelRequest {
    fn drop(&mut self) {
        let _model = Scope::model();
        if self.completed {
            return;
        }
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        if world.halted {
            return;
        }
        let id = self.id;
        let what = self.major.name();
        let port = world.requests.get(&id).map_or(0, |r| r.port);
        world.violate(
            rule::REQUEST_NEVER_COMPLETED,
            cpu,
            format!("request #{id} ({what}, port {port}) was dropped without being completed"),
        );
    }
}
