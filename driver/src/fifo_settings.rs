//! The FIFO settings of the Ports property page (msports.dll's Advanced dialog), which it writes
//! into the device's hardware key as serial.sys reads them: `RxFIFO` (receive trigger level in
//! bytes), `TxFIFO` (bytes loaded per transmit interrupt) and `ForceFifoEnable` ("Use FIFO
//! buffers"). Read at device add; a change takes effect when the device restarts.
//!
//! Host-independent: the registry reads are in `device.rs`; this turns the values (absent when the
//! key has none) into the engine's configuration with serial.sys's defaults and rules.

use serial_engine::DeviceConfig;

use crate::port_name::ascii_units;

/// The registry value names (counted, not terminated).
pub const RX_FIFO_VALUE: [u16; 6] = ascii_units(b"RxFIFO");
/// See [`RX_FIFO_VALUE`].
pub const TX_FIFO_VALUE: [u16; 6] = ascii_units(b"TxFIFO");
/// See [`RX_FIFO_VALUE`].
pub const FORCE_FIFO_ENABLE_VALUE: [u16; 15] = ascii_units(b"ForceFifoEnable");

/// serial.sys's default receive trigger (bytes).
pub const RX_FIFO_DEFAULT: u8 = 8;
/// serial.sys's default transmit FIFO load (bytes).
pub const TX_FIFO_DEFAULT: u8 = 14;

/// The three registry values, `None` where the key has no such REG_DWORD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FifoValues {
    /// `RxFIFO`.
    pub rx_fifo: Option<u32>,
    /// `TxFIFO`.
    pub tx_fifo: Option<u32>,
    /// `ForceFifoEnable`.
    pub force_fifo_enable: Option<u32>,
}

/// The engine configuration for these values. A trigger level other than the 16550's 1, 4, 8 or
/// 14 falls back to 8, and a transmit load outside 1..=16 to 14, as serial.sys does; FIFOs are
/// used unless `ForceFifoEnable` is 0.
#[must_use]
pub fn device_config(values: FifoValues) -> DeviceConfig {
    let rx_fifo_trigger = match values.rx_fifo {
        Some(level @ (1 | 4 | 8 | 14)) => u8::try_from(level).unwrap_or(RX_FIFO_DEFAULT),
        _ => RX_FIFO_DEFAULT,
    };
    let tx_fifo_depth = match values.tx_fifo {
        Some(load @ 1..=16) => u8::try_from(load).unwrap_or(TX_FIFO_DEFAULT),
        _ => TX_FIFO_DEFAULT,
    };
    DeviceConfig {
        rx_fifo_trigger,
        tx_fifo_depth,
        fifo_enabled: values.force_fifo_enable != Some(0),
        ..DeviceConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_without_values_gets_serial_sys_defaults() {
        let config = device_config(FifoValues::default());
        assert_eq!(config.rx_fifo_trigger, 8);
        assert_eq!(config.tx_fifo_depth, 14);
        assert!(config.fifo_enabled);
    }

    #[test]
    fn the_dialog_s_choices_are_taken() {
        for level in [1, 4, 8, 14] {
            let config = device_config(FifoValues {
                rx_fifo: Some(level),
                tx_fifo: Some(1),
                force_fifo_enable: Some(1),
            });
            assert_eq!(u32::from(config.rx_fifo_trigger), level);
            assert_eq!(config.tx_fifo_depth, 1);
        }
        let config = device_config(FifoValues {
            tx_fifo: Some(16),
            ..FifoValues::default()
        });
        assert_eq!(config.tx_fifo_depth, 16);
    }

    #[test]
    fn unchecking_use_fifo_buffers_turns_the_fifos_off() {
        let config = device_config(FifoValues {
            force_fifo_enable: Some(0),
            ..FifoValues::default()
        });
        assert!(!config.fifo_enabled);
    }

    #[test]
    fn values_the_16550_cannot_do_fall_back_to_the_defaults() {
        let config = device_config(FifoValues {
            rx_fifo: Some(2),
            tx_fifo: Some(0),
            force_fifo_enable: Some(7),
        });
        assert_eq!(config.rx_fifo_trigger, 8);
        assert_eq!(config.tx_fifo_depth, 14);
        assert!(config.fifo_enabled);
        let config = device_config(FifoValues {
            rx_fifo: Some(u32::MAX),
            tx_fifo: Some(17),
            ..FifoValues::default()
        });
        assert_eq!((config.rx_fifo_trigger, config.tx_fifo_depth), (8, 14));
    }
}
