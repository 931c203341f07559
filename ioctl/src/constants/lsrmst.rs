//! `SERIAL_LSRMST_*`: type bytes that follow the escape character in the receive stream
//! when LSRMST_INSERT is on (serial-semantics §9.4).

/// `SERIAL_LSRMST_ESCAPE`: the escape character itself was received.
pub const ESCAPE: u8 = 0x00;
/// `SERIAL_LSRMST_LSR_DATA`: a line-status byte follows, then the received data byte.
pub const LSR_DATA: u8 = 0x01;
/// `SERIAL_LSRMST_LSR_NODATA`: a line-status byte follows, without data.
pub const LSR_NODATA: u8 = 0x02;
/// `SERIAL_LSRMST_MST`: a modem-status byte follows.
pub const MST: u8 = 0x03;
