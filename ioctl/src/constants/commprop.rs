//! `SERIAL_COMMPROP` field values for GET_PROPERTIES (serial-semantics §3.3, §12.2).
//!
//! `SettableData` and `SettableStopParity` are USHORT fields, so their bits are `u16`.

/// `SERIAL_SP_SERIALCOMM`: `ServiceMask` value of a serial communications provider.
pub const SP_SERIALCOMM: u32 = 0x0000_0001;
/// `SERIAL_SP_RS232`: `ProvSubType` of an RS-232 port.
pub const SP_RS232: u32 = 0x0000_0001;

/// `SERIAL_PCF_DTRDSR`: DTR/DSR flow control supported.
pub const PCF_DTRDSR: u32 = 0x0001;
/// `SERIAL_PCF_RTSCTS`: RTS/CTS flow control supported.
pub const PCF_RTSCTS: u32 = 0x0002;
/// `SERIAL_PCF_CD`: carrier detect (RLSD) supported.
pub const PCF_CD: u32 = 0x0004;
/// `SERIAL_PCF_PARITY_CHECK`: parity checking supported.
pub const PCF_PARITY_CHECK: u32 = 0x0008;
/// `SERIAL_PCF_XONXOFF`: XON/XOFF flow control supported.
pub const PCF_XONXOFF: u32 = 0x0010;
/// `SERIAL_PCF_SETXCHAR`: settable XON/XOFF characters.
pub const PCF_SETXCHAR: u32 = 0x0020;
/// `SERIAL_PCF_TOTALTIMEOUTS`: total (elapsed) timeouts supported.
pub const PCF_TOTALTIMEOUTS: u32 = 0x0040;
/// `SERIAL_PCF_INTTIMEOUTS`: interval timeouts supported.
pub const PCF_INTTIMEOUTS: u32 = 0x0080;
/// `SERIAL_PCF_SPECIALCHARS`: special characters supported.
pub const PCF_SPECIALCHARS: u32 = 0x0100;
/// `SERIAL_PCF_16BITMODE`: special 16-bit mode supported.
pub const PCF_16BITMODE: u32 = 0x0200;

/// `SERIAL_SP_PARITY`: parity is settable.
pub const SP_PARITY: u32 = 0x0001;
/// `SERIAL_SP_BAUD`: baud rate is settable.
pub const SP_BAUD: u32 = 0x0002;
/// `SERIAL_SP_DATABITS`: data bits are settable.
pub const SP_DATABITS: u32 = 0x0004;
/// `SERIAL_SP_STOPBITS`: stop bits are settable.
pub const SP_STOPBITS: u32 = 0x0008;
/// `SERIAL_SP_HANDSHAKING`: handshaking (flow control) is settable.
pub const SP_HANDSHAKING: u32 = 0x0010;
/// `SERIAL_SP_PARITY_CHECK`: parity checking is settable.
pub const SP_PARITY_CHECK: u32 = 0x0020;
/// `SERIAL_SP_CARRIER_DETECT`: carrier detect (RLSD) is settable.
pub const SP_CARRIER_DETECT: u32 = 0x0040;

/// `SERIAL_BAUD_075`: 75 baud.
pub const BAUD_075: u32 = 0x0000_0001;
/// `SERIAL_BAUD_110`: 110 baud.
pub const BAUD_110: u32 = 0x0000_0002;
/// `SERIAL_BAUD_134_5`: 134.5 baud.
pub const BAUD_134_5: u32 = 0x0000_0004;
/// `SERIAL_BAUD_150`: 150 baud.
pub const BAUD_150: u32 = 0x0000_0008;
/// `SERIAL_BAUD_300`: 300 baud.
pub const BAUD_300: u32 = 0x0000_0010;
/// `SERIAL_BAUD_600`: 600 baud.
pub const BAUD_600: u32 = 0x0000_0020;
/// `SERIAL_BAUD_1200`: 1200 baud.
pub const BAUD_1200: u32 = 0x0000_0040;
/// `SERIAL_BAUD_1800`: 1800 baud.
pub const BAUD_1800: u32 = 0x0000_0080;
/// `SERIAL_BAUD_2400`: 2400 baud.
pub const BAUD_2400: u32 = 0x0000_0100;
/// `SERIAL_BAUD_4800`: 4800 baud.
pub const BAUD_4800: u32 = 0x0000_0200;
/// `SERIAL_BAUD_7200`: 7200 baud.
pub const BAUD_7200: u32 = 0x0000_0400;
/// `SERIAL_BAUD_9600`: 9600 baud.
pub const BAUD_9600: u32 = 0x0000_0800;
/// `SERIAL_BAUD_14400`: 14 400 baud.
pub const BAUD_14400: u32 = 0x0000_1000;
/// `SERIAL_BAUD_19200`: 19 200 baud.
pub const BAUD_19200: u32 = 0x0000_2000;
/// `SERIAL_BAUD_38400`: 38 400 baud.
pub const BAUD_38400: u32 = 0x0000_4000;
/// `SERIAL_BAUD_56K`: 56 000 baud.
pub const BAUD_56K: u32 = 0x0000_8000;
/// `SERIAL_BAUD_128K`: 128 000 baud.
pub const BAUD_128K: u32 = 0x0001_0000;
/// `SERIAL_BAUD_115200`: 115 200 baud.
pub const BAUD_115200: u32 = 0x0002_0000;
/// `SERIAL_BAUD_57600`: 57 600 baud.
pub const BAUD_57600: u32 = 0x0004_0000;
/// `SERIAL_BAUD_USER`: other rates are programmable.
pub const BAUD_USER: u32 = 0x1000_0000;

/// Every named `BAUD_*` bit (not [`BAUD_USER`]) with its rate in bits per second, in bit order.
/// 134.5 baud is listed as 134.
pub const NAMED_BAUD_RATES: [(u32, u32); 19] = [
    (BAUD_075, 75),
    (BAUD_110, 110),
    (BAUD_134_5, 134),
    (BAUD_150, 150),
    (BAUD_300, 300),
    (BAUD_600, 600),
    (BAUD_1200, 1200),
    (BAUD_1800, 1800),
    (BAUD_2400, 2400),
    (BAUD_4800, 4800),
    (BAUD_7200, 7200),
    (BAUD_9600, 9600),
    (BAUD_14400, 14_400),
    (BAUD_19200, 19_200),
    (BAUD_38400, 38_400),
    (BAUD_56K, 56_000),
    (BAUD_128K, 128_000),
    (BAUD_115200, 115_200),
    (BAUD_57600, 57_600),
];

/// `SERIAL_DATABITS_5`: 5 data bits.
pub const DATABITS_5: u16 = 0x0001;
/// `SERIAL_DATABITS_6`: 6 data bits.
pub const DATABITS_6: u16 = 0x0002;
/// `SERIAL_DATABITS_7`: 7 data bits.
pub const DATABITS_7: u16 = 0x0004;
/// `SERIAL_DATABITS_8`: 8 data bits.
pub const DATABITS_8: u16 = 0x0008;
/// `SERIAL_DATABITS_16`: 16 data bits.
pub const DATABITS_16: u16 = 0x0010;
/// `SERIAL_DATABITS_16X`: special wide path through serial hardware lines.
pub const DATABITS_16X: u16 = 0x0020;

/// `SERIAL_STOPBITS_10`: 1 stop bit.
pub const STOPBITS_10: u16 = 0x0001;
/// `SERIAL_STOPBITS_15`: 1.5 stop bits.
pub const STOPBITS_15: u16 = 0x0002;
/// `SERIAL_STOPBITS_20`: 2 stop bits.
pub const STOPBITS_20: u16 = 0x0004;

/// `SERIAL_PARITY_NONE`: no parity.
pub const PARITY_NONE: u16 = 0x0100;
/// `SERIAL_PARITY_ODD`: odd parity.
pub const PARITY_ODD: u16 = 0x0200;
/// `SERIAL_PARITY_EVEN`: even parity.
pub const PARITY_EVEN: u16 = 0x0400;
/// `SERIAL_PARITY_MARK`: mark parity.
pub const PARITY_MARK: u16 = 0x0800;
/// `SERIAL_PARITY_SPACE`: space parity.
pub const PARITY_SPACE: u16 = 0x1000;
