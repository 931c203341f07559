//! The Windows backend: a real COM port through Win32 overlapped I/O.
//!
//! Each request gets its own OVERLAPPED, event and buffers, boxed so they stay put until the
//! kernel is done with them. The NTSTATUS is read from `OVERLAPPED.Internal` and the Information
//! from `OVERLAPPED.InternalHigh`, which the I/O manager fills from the IRP's IoStatus, so the
//! harness sees exactly what the driver completed with (GetOverlappedResultEx alone would only
//! give the Win32 translation). A request that fails before it pends (no IoStatus written) is
//! reported with the status its Win32 error stands for.
//!
//! FlushFileBuffers has no overlapped form: it runs on a helper thread, which CancelSynchronousIo
//! can interrupt.
//!
//! Time is real: [`Timestamp`]s count 100 ns from the bench's creation (`Instant`), and elapsed
//! times are judged with [`Timing::Real`].

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serial_ioctl::NtStatus;
use windows_sys::Win32::Foundation::{
    CloseHandle, DUPLICATE_SAME_ACCESS, DuplicateHandle, ERROR_IO_INCOMPLETE, ERROR_IO_PENDING,
    GENERIC_READ, GENERIC_WRITE, GetLastError, HANDLE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
    WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_OVERLAPPED, FlushFileBuffers, OPEN_EXISTING, ReadFile, WriteFile,
};
use windows_sys::Win32::System::IO::{
    CancelIoEx, CancelSynchronousIo, DeviceIoControl, GetOverlappedResultEx, OVERLAPPED,
};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetCurrentProcess, GetCurrentThread, WaitForSingleObject,
};

use super::port_peer::{PortPeer, Sleeper};
use super::windows_target::WindowsTarget;
use crate::port::{Bench, IoResult, OpenRefused, Peer, Port, PortError, RequestHandle, Topology};
use crate::time::{Millis, Timestamp, Timing};
use crate::win32::errors::ntstatus_from_win32;
use crate::win32::path::{device_path, wide};

/// `STATUS_PENDING` as the I/O manager leaves it in `OVERLAPPED.Internal` while a request runs.
const STATUS_PENDING_RAW: usize = 0x103;

/// Windows' default timer resolution, rounded up (15.625 ms).
const TICK_MS: Millis = 16;

/// How long dropping a port waits for each cancelled request before giving up on it.
const DROP_WAIT_MS: u32 = 5_000;

fn stamp(epoch: Instant) -> Timestamp {
    Timestamp(u64::try_from(epoch.elapsed().as_nanos() / 100).unwrap_or(u64::MAX))
}

fn last_error() -> u32 {
    // SAFETY: GetLastError reads the calling thread's last-error value; no preconditions.
    unsafe { GetLastError() }
}

fn status_of_error(code: u32) -> NtStatus {
    ntstatus_from_win32(code).unwrap_or(NtStatus::UNSUCCESSFUL)
}

/// A wait in milliseconds as Win32 takes it (never INFINITE by accident).
fn wait_ms(ms: Millis) -> u32 {
    u32::try_from(ms).unwrap_or(u32::MAX - 1).min(u32::MAX - 1)
}

/// One overlapped request and everything the kernel may touch until it completes.
struct Op {
    overlapped: OVERLAPPED,
    event: HANDLE,
    /// Read destination or IOCTL output.
    output: Vec<u8>,
    /// Write data or IOCTL input (kept alive while the request runs).
    _input: Vec<u8>,
    started: Timestamp,
    /// Set when the call failed before the request pended and IoStatus was not written.
    failed_early: Option<(NtStatus, Timestamp)>,
}

impl Op {
    fn new(input: Vec<u8>, output_len: usize, started: Timestamp) -> Result<Box<Self>, PortError> {
        // SAFETY: a manual-reset, initially non-signalled, unnamed event with default security.
        let event = unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) };
        if event.is_null() {
            return Err(PortError::Os {
                code: last_error(),
                context: "CreateEventW".into(),
            });
        }
        let mut op = Box::new(Self {
            overlapped: OVERLAPPED::default(),
            event,
            output: vec![0; output_len],
            _input: input,
            started,
            failed_early: None,
        });
        op.overlapped.hEvent = event;
        op.overlapped.Internal = STATUS_PENDING_RAW;
        Ok(op)
    }

    /// IoStatus.Status and IoStatus.Information, once the request has completed.
    fn io_status(&self) -> (NtStatus, usize) {
        // SAFETY: the pointers come from a live field; volatile because the kernel writes them.
        let internal = unsafe { std::ptr::read_volatile(&raw const self.overlapped.Internal) };
        // SAFETY: as above.
        let high = unsafe { std::ptr::read_volatile(&raw const self.overlapped.InternalHigh) };
        let status = NtStatus(
            u32::try_from(internal & 0xFFFF_FFFF)
                .unwrap_or(0)
                .cast_signed(),
        );
        (status, high)
    }

    /// Records how a call that returned FALSE went: pending, or failed before pending.
    fn after_call(&mut self, succeeded: bool, now: Timestamp) {
        if succeeded {
            return;
        }
        let error = last_error();
        if error == ERROR_IO_PENDING {
            return;
        }
        let (status, _) = self.io_status();
        if status.0 == 0x103 {
            self.failed_early = Some((status_of_error(error), now));
        }
    }

    /// The result of a request its wait reported complete. `outcome` is what
    /// GetOverlappedResultEx said (success with the count, or the Win32 error), used if IoStatus
    /// still reads STATUS_PENDING: the event can fire before `OVERLAPPED.Internal` is final (seen
    /// under Wine), and STATUS_PENDING is never a final status.
    fn result(&self, finished: Timestamp, outcome: Option<Result<usize, u32>>) -> IoResult {
        let mut result = self.raw_result(finished);
        for _ in 0..10_000 {
            if result.status != NtStatus::PENDING {
                return result;
            }
            std::thread::yield_now();
            result = self.raw_result(finished);
        }
        match outcome {
            Some(Ok(transferred)) => {
                result.status = NtStatus::SUCCESS;
                result.information = transferred;
            }
            Some(Err(code)) => {
                result.status = status_of_error(code);
                result.information = 0;
            }
            None => result.status = NtStatus::UNSUCCESSFUL,
        }
        let shown = result.information.min(self.output.len());
        result.data = self.output.get(..shown).unwrap_or(&[]).to_vec();
        result
    }

    fn raw_result(&self, finished: Timestamp) -> IoResult {
        if let Some((status, at)) = self.failed_early {
            return IoResult {
                status,
                information: 0,
                data: Vec::new(),
                started: self.started,
                finished: at,
            };
        }
        let (status, information) = self.io_status();
        let shown = information.min(self.output.len());
        IoResult {
            status,
            information,
            data: self.output.get(..shown).unwrap_or(&[]).to_vec(),
            started: self.started,
            finished,
        }
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        // SAFETY: the event was created by this Op and is closed once.
        let _ = unsafe { CloseHandle(self.event) };
    }
}

/// A flush running on its helper thread.
struct Flush {
    done: mpsc::Receiver<(NtStatus, Timestamp)>,
    thread: HANDLE,
    started: Timestamp,
}

impl Drop for Flush {
    fn drop(&mut self) {
        if !self.thread.is_null() {
            // SAFETY: the duplicated thread handle belongs to this Flush and is closed once.
            let _ = unsafe { CloseHandle(self.thread) };
        }
    }
}

enum Pending {
    Io(Box<Op>),
    Flush(Flush),
}

/// A handle to a real COM port opened for overlapped I/O.
pub struct WindowsPort {
    name: String,
    handle: HANDLE,
    open: bool,
    epoch: Instant,
    next: u64,
    pending: BTreeMap<u64, Pending>,
}

impl std::fmt::Debug for WindowsPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowsPort")
            .field("name", &self.name)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl WindowsPort {
    /// CreateFileW(`\\.\name`, read/write, exclusive, OPEN_EXISTING, FILE_FLAG_OVERLAPPED).
    ///
    /// # Errors
    /// [`OpenRefused`] with the status the Win32 error stands for (ACCESS_DENIED when another
    /// handle has the port).
    pub fn open(name: &str, epoch: Instant) -> Result<Self, OpenRefused> {
        let path = device_path(name);
        let wide_path = wide(&path);
        // SAFETY: `wide_path` is NUL-terminated and outlives the call; no security attributes,
        // no template.
        let handle = unsafe {
            CreateFileW(
                wide_path.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                0,
                std::ptr::null(),
                OPEN_EXISTING,
                FILE_FLAG_OVERLAPPED,
                std::ptr::null_mut(),
            )
        };
        if handle == INVALID_HANDLE_VALUE || handle.is_null() {
            let error = last_error();
            return Err(OpenRefused {
                status: status_of_error(error),
                detail: format!("CreateFileW({path}) failed with Win32 error {error}"),
            });
        }
        Ok(Self {
            name: name.to_owned(),
            handle,
            open: true,
            epoch,
            next: 1,
            pending: BTreeMap::new(),
        })
    }

    fn remember(&mut self, pending: Pending) -> RequestHandle {
        let id = self.next;
        self.next += 1;
        self.pending.insert(id, pending);
        RequestHandle(id)
    }

    fn check_open(&self) -> Result<(), PortError> {
        if self.open {
            Ok(())
        } else {
            Err(PortError::Closed)
        }
    }
}

impl Port for WindowsPort {
    fn label(&self) -> String {
        self.name.clone()
    }

    fn start_read(&mut self, len: usize) -> Result<RequestHandle, PortError> {
        self.check_open()?;
        let now = stamp(self.epoch);
        let mut op = Op::new(Vec::new(), len, now)?;
        let length =
            u32::try_from(len).map_err(|_| PortError::Unsupported("reads over 4 GiB".into()))?;
        let buffer = op.output.as_mut_ptr();
        let overlapped = &raw mut op.overlapped;
        // SAFETY: the buffer and OVERLAPPED live in the boxed Op, which is kept (not moved, not
        // freed) until the request has completed; the byte count pointer may be null with
        // OVERLAPPED.
        let ok = unsafe {
            ReadFile(
                self.handle,
                buffer,
                length,
                std::ptr::null_mut(),
                overlapped,
            )
        };
        op.after_call(ok != 0, stamp(self.epoch));
        Ok(self.remember(Pending::Io(op)))
    }

    fn start_write(&mut self, data: &[u8]) -> Result<RequestHandle, PortError> {
        self.check_open()?;
        let now = stamp(self.epoch);
        let mut op = Op::new(data.to_vec(), 0, now)?;
        let length = u32::try_from(data.len())
            .map_err(|_| PortError::Unsupported("writes over 4 GiB".into()))?;
        let buffer = op._input.as_ptr();
        let overlapped = &raw mut op.overlapped;
        // SAFETY: the data and OVERLAPPED live in the boxed Op until the request completes.
        let ok = unsafe {
            WriteFile(
                self.handle,
                buffer,
                length,
                std::ptr::null_mut(),
                overlapped,
            )
        };
        op.after_call(ok != 0, stamp(self.epoch));
        Ok(self.remember(Pending::Io(op)))
    }

    fn start_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<RequestHandle, PortError> {
        self.check_open()?;
        let now = stamp(self.epoch);
        let mut op = Op::new(input.to_vec(), output_len, now)?;
        let in_len = u32::try_from(input.len()).unwrap_or(u32::MAX);
        let out_len = u32::try_from(output_len).unwrap_or(u32::MAX);
        let in_ptr = if input.is_empty() {
            std::ptr::null()
        } else {
            op._input.as_ptr().cast::<core::ffi::c_void>()
        };
        let out_ptr = if output_len == 0 {
            std::ptr::null_mut()
        } else {
            op.output.as_mut_ptr().cast::<core::ffi::c_void>()
        };
        let overlapped = &raw mut op.overlapped;
        // SAFETY: both buffers and the OVERLAPPED live in the boxed Op until the request
        // completes; lengths match the buffers; the returned-bytes pointer may be null with
        // OVERLAPPED.
        let ok = unsafe {
            DeviceIoControl(
                self.handle,
                code,
                in_ptr,
                in_len,
                out_ptr,
                out_len,
                std::ptr::null_mut(),
                overlapped,
            )
        };
        op.after_call(ok != 0, stamp(self.epoch));
        Ok(self.remember(Pending::Io(op)))
    }

    fn start_flush(&mut self) -> Result<RequestHandle, PortError> {
        self.check_open()?;
        let started = stamp(self.epoch);
        let epoch = self.epoch;
        // Handles are plain kernel object references; the port outlives the helper thread
        // (closing and dropping the port cancel and collect it first).
        let raw_handle = self.handle as usize;
        let (done_tx, done) = mpsc::channel();
        let (thread_tx, thread_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("flush".into())
            .spawn(move || {
                let mut me: HANDLE = std::ptr::null_mut();
                // SAFETY: pseudo-handles of the current process and thread are always valid.
                let process = unsafe { GetCurrentProcess() };
                // SAFETY: as above.
                let thread = unsafe { GetCurrentThread() };
                // SAFETY: duplicates this thread's pseudo-handle into a real one in this process.
                let _ = unsafe {
                    DuplicateHandle(
                        process,
                        thread,
                        process,
                        &raw mut me,
                        0,
                        0,
                        DUPLICATE_SAME_ACCESS,
                    )
                };
                let _ = thread_tx.send(me as usize);
                // SAFETY: the port handle stays open until this thread has reported back.
                let ok = unsafe { FlushFileBuffers(raw_handle as HANDLE) };
                let status = if ok != 0 {
                    NtStatus::SUCCESS
                } else {
                    status_of_error(last_error())
                };
                let _ = done_tx.send((status, stamp(epoch)));
            })
            .map_err(|error| {
                PortError::Backend(format!("cannot start the flush thread: {error}"))
            })?;
        let thread = thread_rx
            .recv()
            .map_or(std::ptr::null_mut(), |h| h as HANDLE);
        Ok(self.remember(Pending::Flush(Flush {
            done,
            thread,
            started,
        })))
    }

    fn cancel(&mut self, handle: RequestHandle) -> Result<(), PortError> {
        match self.pending.get(&handle.0) {
            Some(Pending::Io(op)) => {
                if self.open {
                    // SAFETY: cancels this one OVERLAPPED's request on our handle; ERROR_NOT_FOUND
                    // (already completed) is fine.
                    let _ = unsafe { CancelIoEx(self.handle, &raw const op.overlapped) };
                }
                Ok(())
            }
            Some(Pending::Flush(flush)) => {
                if !flush.thread.is_null() {
                    // SAFETY: a valid thread handle; cancels its synchronous FlushFileBuffers.
                    let _ = unsafe { CancelSynchronousIo(flush.thread) };
                }
                Ok(())
            }
            None => Err(PortError::UnknownHandle(handle)),
        }
    }

    fn wait(
        &mut self,
        handle: RequestHandle,
        timeout_ms: Millis,
    ) -> Result<Option<IoResult>, PortError> {
        let result = match self.pending.get_mut(&handle.0) {
            None => return Err(PortError::UnknownHandle(handle)),
            Some(Pending::Flush(flush)) => {
                match flush.done.recv_timeout(Duration::from_millis(timeout_ms)) {
                    Ok((status, finished)) => IoResult {
                        status,
                        information: 0,
                        data: Vec::new(),
                        started: flush.started,
                        finished,
                    },
                    Err(mpsc::RecvTimeoutError::Timeout) => return Ok(None),
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(PortError::Backend("the flush thread died".into()));
                    }
                }
            }
            Some(Pending::Io(op)) => {
                if op.failed_early.is_some() {
                    op.result(stamp(self.epoch), None)
                } else if self.open {
                    let mut transferred = 0u32;
                    // SAFETY: the OVERLAPPED belongs to a request on this open handle and lives
                    // in the boxed Op.
                    let ok = unsafe {
                        GetOverlappedResultEx(
                            self.handle,
                            &raw const op.overlapped,
                            &raw mut transferred,
                            wait_ms(timeout_ms),
                            0,
                        )
                    };
                    let outcome = if ok == 0 {
                        let error = last_error();
                        if error == WAIT_TIMEOUT || error == ERROR_IO_INCOMPLETE {
                            return Ok(None);
                        }
                        Err(error)
                    } else {
                        Ok(usize::try_from(transferred).unwrap_or(usize::MAX))
                    };
                    op.result(stamp(self.epoch), Some(outcome))
                } else {
                    // After CloseHandle, wait on the request's own event.
                    // SAFETY: the event belongs to the Op and is still open.
                    let waited = unsafe { WaitForSingleObject(op.event, wait_ms(timeout_ms)) };
                    if waited == WAIT_TIMEOUT {
                        return Ok(None);
                    }
                    if waited != WAIT_OBJECT_0 {
                        return Err(PortError::Os {
                            code: last_error(),
                            context: "WaitForSingleObject".into(),
                        });
                    }
                    op.result(stamp(self.epoch), None)
                }
            }
        };
        self.pending.remove(&handle.0);
        Ok(Some(result))
    }

    fn now(&self) -> Timestamp {
        stamp(self.epoch)
    }

    fn close(&mut self) -> Result<(), PortError> {
        if !self.open {
            return Err(PortError::Closed);
        }
        // A flush thread still uses the handle: interrupt it and collect it first.
        let flushes: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p, Pending::Flush(_)))
            .map(|(id, _)| *id)
            .collect();
        for id in flushes {
            let _ = self.cancel(RequestHandle(id));
            if let Some(Pending::Flush(flush)) = self.pending.get(&id) {
                let _ = flush
                    .done
                    .recv_timeout(Duration::from_millis(u64::from(DROP_WAIT_MS)));
            }
            self.pending.remove(&id);
        }
        self.open = false;
        // SAFETY: our handle, closed once; pending requests are cancelled by IRP_MJ_CLEANUP and
        // complete into their boxed OVERLAPPEDs, which stay alive.
        let ok = unsafe { CloseHandle(self.handle) };
        if ok == 0 {
            return Err(PortError::Os {
                code: last_error(),
                context: "CloseHandle".into(),
            });
        }
        Ok(())
    }
}

impl Drop for WindowsPort {
    fn drop(&mut self) {
        if self.open {
            // SAFETY: cancels every request on our own handle.
            let _ = unsafe { CancelIoEx(self.handle, std::ptr::null()) };
            let _ = self.close();
        }
        for (_, pending) in std::mem::take(&mut self.pending) {
            if let Pending::Io(op) = pending {
                // SAFETY: the event belongs to the Op and is still open.
                let waited = unsafe { WaitForSingleObject(op.event, DROP_WAIT_MS) };
                if waited != WAIT_OBJECT_0 {
                    // The kernel may still write into this request's buffers: never free them.
                    std::mem::forget(op);
                }
            }
        }
    }
}

/// Real ports for one scenario: port 0 (and port 1 on a null-modem bench), and the peer port.
pub struct WindowsBench {
    name: String,
    epoch: Instant,
    ports: Vec<String>,
    peer: Option<PortPeer>,
}

impl std::fmt::Debug for WindowsBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowsBench")
            .field("name", &self.name)
            .field("ports", &self.ports)
            .finish_non_exhaustive()
    }
}

impl WindowsBench {
    /// The bench for `topology` on `target`'s ports.
    ///
    /// # Errors
    /// A message when the peer port cannot be opened or configured.
    pub fn new(target: &WindowsTarget, topology: Topology) -> Result<Self, String> {
        let epoch = Instant::now();
        let mut ports = vec![target.port.clone()];
        let mut peer = None;
        match (topology, &target.peer) {
            (Topology::NullModem, Some(far)) => ports.push(far.clone()),
            (Topology::Peer, Some(far)) => {
                let port = WindowsPort::open(far, epoch)
                    .map_err(|refused| format!("peer port {far}: {}", refused.detail))?;
                let sleeper: Sleeper =
                    Box::new(|_, ms| std::thread::sleep(Duration::from_millis(ms)));
                peer = Some(
                    PortPeer::new(Box::new(port), sleeper)
                        .map_err(|error| format!("peer port {far}: {error}"))?,
                );
            }
            _ => {}
        }
        Ok(Self {
            name: target.port.clone(),
            epoch,
            ports,
            peer,
        })
    }
}

impl Bench for WindowsBench {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn timing(&self) -> Timing {
        Timing::Real { tick_ms: TICK_MS }
    }

    fn open(&mut self, index: usize) -> Result<Box<dyn Port>, OpenRefused> {
        let name = self.ports.get(index).ok_or_else(|| OpenRefused {
            status: crate::win32::errors::STATUS_OBJECT_NAME_NOT_FOUND,
            detail: format!("this bench has {} port(s)", self.ports.len()),
        })?;
        WindowsPort::open(name, self.epoch).map(|port| Box::new(port) as Box<dyn Port>)
    }

    fn now(&self) -> Timestamp {
        stamp(self.epoch)
    }

    fn sleep(&mut self, ms: Millis) {
        std::thread::sleep(Duration::from_millis(ms));
    }

    fn peer(&mut self) -> Option<&mut dyn Peer> {
        self.peer.as_mut().map(|peer| peer as &mut dyn Peer)
    }
}
