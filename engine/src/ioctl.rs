//! IRP_MJ_DEVICE_CONTROL and IRP_MJ_INTERNAL_DEVICE_CONTROL dispatch (serial-semantics.md §1, §2):
//! gate order, buffer lengths, then one handler per code. Handlers that pend take the request;
//! the others return `Ok(information)` or an error status and leave the state unchanged on error.

use serial_ioctl::{
    InternalIoctl, NtStatus, SerialBasicSettings, SerialBaudRate, SerialChars, SerialHandflow,
    SerialIoctl, SerialLineControl, SerialQueueSize, SerialTimeouts, SerialXoffCounter, decode,
    encode,
};

use crate::device::Device;
use crate::kernel::{Kernel, Request};
use crate::requests::Purpose;

/// The largest receive ring SET_QUEUE_SIZE grows to (16 MiB of nonpaged pool).
pub const MAX_RECEIVE_BUFFER: usize = 16 * 1024 * 1024;

impl<K: Kernel> Device<K> {
    /// IRP_MJ_DEVICE_CONTROL.
    ///
    /// IRQL: ≤ DISPATCH.
    pub fn device_control(&self, mut request: K::Request, code: u32) {
        if let Some(status) = self.failure() {
            return Self::finish(request, status, 0);
        }
        let ioctl = SerialIoctl::from_code(code);
        let (open, blocked) = self.sync(|s| (s.open, s.error_abort_blocked()));
        // Gate order (serial-semantics.md §1): not open, abort-on-error, then the code itself.
        if !open {
            return Self::finish(request, NtStatus::INVALID_DEVICE_REQUEST, 0);
        }
        if blocked && ioctl != Some(SerialIoctl::GetCommStatus) {
            return Self::finish(request, NtStatus::CANCELLED, 0);
        }
        let Some(ioctl) = ioctl else {
            return Self::finish(request, NtStatus::INVALID_PARAMETER, 0);
        };
        if request.input().len() < ioctl.input_size()
            || request.output().len() < ioctl.output_size()
        {
            return Self::finish(request, NtStatus::BUFFER_TOO_SMALL, 0);
        }
        let result = match ioctl {
            SerialIoctl::WaitOnMask => return self.wait_on_mask(request),
            SerialIoctl::ImmediateChar => return self.immediate_char(request),
            SerialIoctl::XoffCounter => return self.xoff_counter(request),
            SerialIoctl::SetQueueSize => return self.set_queue_size(request),
            other => self.handle(other, &mut request),
        };
        match result {
            Ok(information) => Self::finish(request, NtStatus::SUCCESS, information),
            Err(status) => Self::finish(request, status, 0),
        }
    }

    /// The handlers that complete synchronously.
    fn handle(&self, ioctl: SerialIoctl, request: &mut K::Request) -> Result<usize, NtStatus> {
        let input = request.input();
        match ioctl {
            SerialIoctl::SetBaudRate => {
                self.set_baud_rate(decode::<SerialBaudRate>(input)?.baud_rate)
            }
            SerialIoctl::GetBaudRate => {
                let baud_rate = self.with_shared(|shared| shared.baud);
                encode(&SerialBaudRate { baud_rate }, request.output())
            }
            SerialIoctl::SetLineControl => {
                self.set_line_control(&decode::<SerialLineControl>(input)?)
            }
            SerialIoctl::GetLineControl => {
                let lcr = self.sync(|s| s.lcr);
                encode(&crate::line::line_control_of(lcr), request.output())
            }
            SerialIoctl::SetTimeouts => self.set_timeouts(&decode::<SerialTimeouts>(input)?),
            SerialIoctl::GetTimeouts => {
                let timeouts = self.with_shared(|shared| shared.timeouts);
                encode(&timeouts, request.output())
            }
            SerialIoctl::SetChars => self.set_chars(&decode::<SerialChars>(input)?),
            SerialIoctl::GetChars => {
                let chars = self.sync(|s| s.chars);
                encode(&chars, request.output())
            }
            SerialIoctl::SetHandflow => self.set_handflow(&decode::<SerialHandflow>(input)?),
            SerialIoctl::GetHandflow => {
                let handflow = self.sync(|s| s.handflow);
                encode(&handflow, request.output())
            }
            SerialIoctl::SetDtr => self.set_dtr(true),
            SerialIoctl::ClrDtr => self.set_dtr(false),
            SerialIoctl::SetRts => self.set_rts(true),
            SerialIoctl::ClrRts => self.set_rts(false),
            SerialIoctl::SetBreakOn => self.set_break(true),
            SerialIoctl::SetBreakOff => self.set_break(false),
            SerialIoctl::SetXoff => self.pretend_xoff(),
            SerialIoctl::SetXon => self.pretend_xon(),
            SerialIoctl::ResetDevice => Ok(0),
            SerialIoctl::GetWaitMask => {
                let armed = self.sync(|s| s.wait.armed);
                encode(&armed, request.output())
            }
            SerialIoctl::SetWaitMask => self.set_wait_mask(decode::<u32>(input)?),
            SerialIoctl::Purge => self.purge(decode::<u32>(input)?),
            SerialIoctl::GetModemStatus => {
                let msr = self.modem_status();
                encode(&u32::from(msr), request.output())
            }
            SerialIoctl::GetCommStatus => {
                let status = self.comm_status();
                encode(&status, request.output())
            }
            SerialIoctl::GetProperties => {
                let properties = self.properties();
                encode(&properties, request.output())
            }
            SerialIoctl::GetDtrRts => {
                let lines =
                    self.sync(|s| u32::from(s.mcr & (crate::uart::MCR_DTR | crate::uart::MCR_RTS)));
                encode(&lines, request.output())
            }
            SerialIoctl::LsrmstInsert => self.set_escape_char(decode::<u8>(input)?),
            SerialIoctl::ConfigSize => encode(&0u32, request.output()),
            SerialIoctl::GetStats => {
                let stats = self.sync(|s| s.stats);
                encode(&stats, request.output())
            }
            SerialIoctl::ClearStats => {
                self.sync(|s| s.stats = serial_ioctl::SerialPerfStats::default());
                Ok(0)
            }
            SerialIoctl::GetModemControl => {
                let mcr = self.sync(|_| {
                    self.kernel
                        .read_register(crate::kernel::Register::ModemControl)
                });
                encode(&u32::from(mcr), request.output())
            }
            SerialIoctl::SetModemControl => self.set_modem_control(decode::<u32>(input)?),
            SerialIoctl::SetFifoControl => self.set_fifo_control(decode::<u32>(input)?),
            SerialIoctl::WaitOnMask
            | SerialIoctl::ImmediateChar
            | SerialIoctl::XoffCounter
            | SerialIoctl::SetQueueSize => Err(NtStatus::INVALID_PARAMETER),
        }
    }

    /// IOCTL_SERIAL_XOFF_COUNTER: a pseudo-write on the write queue.
    fn xoff_counter(&self, request: K::Request) {
        match decode::<SerialXoffCounter>(request.input()) {
            Ok(counter) if counter.counter > 0 => self.enqueue_write(request, Purpose::XoffCounter),
            _ => Self::finish(request, NtStatus::INVALID_PARAMETER, 0),
        }
    }

    /// IOCTL_SERIAL_SET_QUEUE_SIZE: grow-only, serialized with reads.
    fn set_queue_size(&self, request: K::Request) {
        let Ok(size) = decode::<SerialQueueSize>(request.input()) else {
            return Self::finish(request, NtStatus::BUFFER_TOO_SMALL, 0);
        };
        let wanted = usize::try_from(size.in_size).unwrap_or(usize::MAX);
        let current = self.sync(|s| s.rx.capacity());
        if wanted <= current {
            return Self::finish(request, NtStatus::SUCCESS, 0);
        }
        if wanted > MAX_RECEIVE_BUFFER {
            // Nonpaged pool would refuse it anyway; refuse before trying.
            return Self::finish(request, NtStatus::INSUFFICIENT_RESOURCES, 0);
        }
        self.enqueue_read(request, Purpose::ResizeReceiveBuffer(wanted));
    }

    /// IRP_MJ_INTERNAL_DEVICE_CONTROL (kernel clients such as serenum; no open check).
    ///
    /// IRQL: ≤ DISPATCH.
    pub fn internal_device_control(&self, mut request: K::Request, code: u32) {
        if let Some(status) = self.failure() {
            return Self::finish(request, status, 0);
        }
        let Some(ioctl) = InternalIoctl::from_code(code) else {
            return Self::finish(request, NtStatus::INVALID_PARAMETER, 0);
        };
        let blocked = self.sync(|s| s.error_abort_blocked());
        if blocked {
            return Self::finish(request, NtStatus::CANCELLED, 0);
        }
        if request.input().len() < ioctl.input_size()
            || request.output().len() < ioctl.output_size()
        {
            return Self::finish(request, NtStatus::BUFFER_TOO_SMALL, 0);
        }
        let result = match ioctl {
            InternalIoctl::DoWaitWake | InternalIoctl::CancelWaitWake => {
                // Wake arming is a framework power policy setting; the engine has no wake source.
                Ok(0)
            }
            InternalIoctl::BasicSettings => {
                let saved = self.basic_settings();
                encode(&saved, request.output())
            }
            InternalIoctl::RestoreSettings => {
                match decode::<SerialBasicSettings>(request.input()) {
                    Ok(settings) => self.restore_settings(&settings).map(|()| 0),
                    Err(status) => Err(status),
                }
            }
        };
        match result {
            Ok(information) => Self::finish(request, NtStatus::SUCCESS, information),
            Err(status) => Self::finish(request, status, 0),
        }
    }
}
