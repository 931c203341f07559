//! The Win32 layer's pure parts, checked against a recording port: which IOCTLs kernel32's comm
//! functions send, with which buffers, in which order, and how the results are mapped back.

use std::collections::HashMap;

use serial_harness::port::{IoResult, Port, PortError, RequestHandle};
use serial_harness::time::{Millis, Timestamp};
use serial_harness::win32::comm::{self, CommError};
use serial_harness::win32::errors::{
    CE_BREAK, CE_FRAME, CE_OVERRUN, CE_RXOVER, CE_RXPARITY, ERROR_INVALID_PARAMETER,
    ERROR_OPERATION_ABORTED, Win32Outcome,
};
use serial_harness::win32::{Dcb, DtrControl, Escape, RtsControl};
use serial_ioctl::{NtStatus, SerialIoctl, handflow, hold};

/// A port that records every device-control request and answers from a script.
#[derive(Default)]
struct RecordingPort {
    sent: Vec<(u32, Vec<u8>, usize)>,
    answers: HashMap<u32, (NtStatus, Vec<u8>)>,
    results: HashMap<u64, IoResult>,
    next: u64,
}

impl RecordingPort {
    fn answer(&mut self, ioctl: SerialIoctl, status: NtStatus, output: Vec<u8>) {
        self.answers.insert(ioctl.code(), (status, output));
    }

    fn codes(&self) -> Vec<SerialIoctl> {
        self.sent
            .iter()
            .map(|(code, _, _)| SerialIoctl::from_code(*code).expect("a known code"))
            .collect()
    }

    fn input_of(&self, ioctl: SerialIoctl) -> Vec<u8> {
        self.sent
            .iter()
            .find(|(code, _, _)| *code == ioctl.code())
            .map(|(_, input, _)| input.clone())
            .expect("the IOCTL was sent")
    }
}

impl Port for RecordingPort {
    fn label(&self) -> String {
        "recording".into()
    }
    fn start_read(&mut self, _len: usize) -> Result<RequestHandle, PortError> {
        Err(PortError::Unsupported("reads".into()))
    }
    fn start_write(&mut self, _data: &[u8]) -> Result<RequestHandle, PortError> {
        Err(PortError::Unsupported("writes".into()))
    }
    fn start_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<RequestHandle, PortError> {
        self.sent.push((code, input.to_vec(), output_len));
        let (status, mut output) = self
            .answers
            .get(&code)
            .cloned()
            .unwrap_or((NtStatus::SUCCESS, vec![0; output_len]));
        output.truncate(output_len);
        self.next += 1;
        self.results.insert(
            self.next,
            IoResult {
                status,
                information: output.len(),
                data: output,
                started: Timestamp::ZERO,
                finished: Timestamp::ZERO,
            },
        );
        Ok(RequestHandle(self.next))
    }
    fn start_flush(&mut self) -> Result<RequestHandle, PortError> {
        Err(PortError::Unsupported("flush".into()))
    }
    fn cancel(&mut self, _handle: RequestHandle) -> Result<(), PortError> {
        Ok(())
    }
    fn wait(
        &mut self,
        handle: RequestHandle,
        _timeout: Millis,
    ) -> Result<Option<IoResult>, PortError> {
        self.results
            .remove(&handle.0)
            .map(Some)
            .ok_or(PortError::UnknownHandle(handle))
    }
    fn now(&self) -> Timestamp {
        Timestamp::ZERO
    }
    fn close(&mut self) -> Result<(), PortError> {
        Ok(())
    }
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn set_comm_state_sends_the_four_settings_in_kernel32_order() {
    let mut port = RecordingPort::default();
    let dcb = Dcb {
        baud_rate: 19200,
        byte_size: 7,
        parity: 2,
        stop_bits: 2,
        outx_cts_flow: true,
        dtr_control: DtrControl::Handshake,
        rts_control: RtsControl::Toggle,
        out_x: true,
        xon_lim: 10,
        xoff_lim: 20,
        xon_char: 0x11,
        xoff_char: 0x13,
        evt_char: b'\n',
        error_char: b'?',
        eof_char: 0x1A,
        ..Dcb::default()
    };
    comm::set_comm_state(&mut port, &dcb).unwrap();
    assert_eq!(
        port.codes(),
        [
            SerialIoctl::SetBaudRate,
            SerialIoctl::SetLineControl,
            SerialIoctl::SetHandflow,
            SerialIoctl::SetChars
        ]
    );
    assert_eq!(
        port.input_of(SerialIoctl::SetBaudRate),
        19200u32.to_le_bytes()
    );
    // SERIAL_LINE_CONTROL is StopBits, Parity, WordLength.
    assert_eq!(port.input_of(SerialIoctl::SetLineControl), [2, 2, 7]);
    let mut handflow_input = u32s(&[
        handflow::DTR_HANDSHAKE | handflow::CTS_HANDSHAKE,
        handflow::TRANSMIT_TOGGLE | handflow::AUTO_TRANSMIT,
    ]);
    handflow_input.extend(10i32.to_le_bytes());
    handflow_input.extend(20i32.to_le_bytes());
    assert_eq!(port.input_of(SerialIoctl::SetHandflow), handflow_input);
    // SERIAL_CHARS: Eof, Error, Break (always 0), Event, Xon, Xoff.
    assert_eq!(
        port.input_of(SerialIoctl::SetChars),
        [0x1A, b'?', 0, b'\n', 0x11, 0x13]
    );
}

#[test]
fn set_comm_state_stops_at_the_first_failure() {
    let mut port = RecordingPort::default();
    port.answer(
        SerialIoctl::SetLineControl,
        NtStatus::INVALID_PARAMETER,
        vec![],
    );
    let error = comm::set_comm_state(&mut port, &Dcb::default()).unwrap_err();
    assert_eq!(
        error,
        CommError::Driver {
            ioctl: SerialIoctl::SetLineControl,
            status: NtStatus::INVALID_PARAMETER
        }
    );
    assert_eq!(error.win32_error(), ERROR_INVALID_PARAMETER);
    assert_eq!(
        port.codes(),
        [SerialIoctl::SetBaudRate, SerialIoctl::SetLineControl]
    );
}

#[test]
fn set_comm_state_rejects_dtr_control_3_without_any_ioctl() {
    let mut port = RecordingPort::default();
    let dcb = Dcb {
        dtr_control: DtrControl::Invalid,
        ..Dcb::default()
    };
    let error = comm::set_comm_state(&mut port, &dcb).unwrap_err();
    assert_eq!(error, CommError::Rejected(ERROR_INVALID_PARAMETER));
    assert!(port.sent.is_empty());
}

#[test]
fn get_comm_state_builds_the_dcb_from_four_gets() {
    let mut port = RecordingPort::default();
    port.answer(SerialIoctl::GetBaudRate, NtStatus::SUCCESS, u32s(&[57600]));
    port.answer(
        SerialIoctl::GetLineControl,
        NtStatus::SUCCESS,
        vec![0, 1, 8],
    );
    let mut flow = u32s(&[
        handflow::DTR_CONTROL | handflow::DSR_HANDSHAKE | handflow::ERROR_ABORT,
        handflow::RTS_HANDSHAKE | handflow::AUTO_RECEIVE | handflow::NULL_STRIPPING,
    ]);
    flow.extend(2048i32.to_le_bytes());
    flow.extend(512i32.to_le_bytes());
    port.answer(SerialIoctl::GetHandflow, NtStatus::SUCCESS, flow);
    port.answer(
        SerialIoctl::GetChars,
        NtStatus::SUCCESS,
        vec![1, 2, 3, 4, 5, 6],
    );
    let dcb = comm::get_comm_state(&mut port).unwrap();
    assert_eq!(
        port.codes(),
        [
            SerialIoctl::GetBaudRate,
            SerialIoctl::GetLineControl,
            SerialIoctl::GetHandflow,
            SerialIoctl::GetChars
        ]
    );
    assert_eq!(dcb.baud_rate, 57600);
    assert_eq!((dcb.byte_size, dcb.parity, dcb.stop_bits), (8, 1, 0));
    assert!(dcb.binary && !dcb.parity_check);
    assert_eq!(dcb.dtr_control, DtrControl::Enable);
    assert_eq!(dcb.rts_control, RtsControl::Handshake);
    assert!(dcb.outx_dsr_flow && dcb.abort_on_error && dcb.in_x && dcb.null_stripping);
    assert!(!dcb.outx_cts_flow && !dcb.out_x);
    assert_eq!((dcb.xon_lim, dcb.xoff_lim), (2048, 512));
    assert_eq!(
        (
            dcb.eof_char,
            dcb.error_char,
            dcb.evt_char,
            dcb.xon_char,
            dcb.xoff_char
        ),
        (1, 2, 4, 5, 6)
    );
}

#[test]
fn clear_comm_error_maps_serial_errors_to_ce_bits() {
    let mut port = RecordingPort::default();
    let mut status = u32s(&[
        0x1F,
        hold::TX_WAITING_FOR_DSR | hold::TX_WAITING_XOFF_SENT,
        7,
        9,
    ]);
    status.extend([0, 1, 0, 0]);
    port.answer(SerialIoctl::GetCommStatus, NtStatus::SUCCESS, status);
    let (errors, stat) = comm::clear_comm_error(&mut port).unwrap();
    assert_eq!(
        errors,
        CE_BREAK | CE_FRAME | CE_OVERRUN | CE_RXOVER | CE_RXPARITY
    );
    assert!(stat.dsr_hold && stat.xoff_sent && stat.txim);
    assert!(!stat.cts_hold && !stat.xoff_hold && !stat.eof);
    assert_eq!((stat.in_queue, stat.out_queue), (7, 9));
}

#[test]
fn escape_and_simple_functions_send_their_ioctls() {
    let mut port = RecordingPort::default();
    for function in Escape::ALL {
        comm::escape_comm_function(&mut port, function).unwrap();
    }
    comm::transmit_comm_char(&mut port, b'Z').unwrap();
    comm::setup_comm(&mut port, 8192, 100).unwrap();
    comm::purge_comm(&mut port, 0xA).unwrap();
    comm::set_comm_mask(&mut port, 0x5).unwrap();
    assert_eq!(
        port.codes(),
        [
            SerialIoctl::SetXoff,
            SerialIoctl::SetXon,
            SerialIoctl::SetRts,
            SerialIoctl::ClrRts,
            SerialIoctl::SetDtr,
            SerialIoctl::ClrDtr,
            SerialIoctl::ResetDevice,
            SerialIoctl::SetBreakOn,
            SerialIoctl::SetBreakOff,
            SerialIoctl::ImmediateChar,
            SerialIoctl::SetQueueSize,
            SerialIoctl::Purge,
            SerialIoctl::SetWaitMask,
        ]
    );
    assert_eq!(port.input_of(SerialIoctl::ImmediateChar), [b'Z']);
    assert_eq!(port.input_of(SerialIoctl::SetQueueSize), u32s(&[8192, 100]));
    assert_eq!(port.input_of(SerialIoctl::Purge), u32s(&[0xA]));
}

#[test]
fn modem_status_keeps_only_the_line_bits() {
    let mut port = RecordingPort::default();
    port.answer(
        SerialIoctl::GetModemStatus,
        NtStatus::SUCCESS,
        u32s(&[0xB3]),
    );
    assert_eq!(comm::get_comm_modem_status(&mut port).unwrap().0, 0xB0);
}

#[test]
fn win32_outcomes_follow_nt_success() {
    let timeout = Win32Outcome::of(NtStatus::TIMEOUT, 2);
    assert!(timeout.success);
    assert_eq!(timeout.transferred, 2);
    let cancelled = Win32Outcome::of(NtStatus::CANCELLED, 0);
    assert!(!cancelled.success);
    assert_eq!(cancelled.error, ERROR_OPERATION_ABORTED);
    let more_writes = Win32Outcome::of(NtStatus::SERIAL_MORE_WRITES, 0);
    assert!(more_writes.success, "informational statuses are NT_SUCCESS");
}
