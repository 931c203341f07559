//! Relationships between constant groups that the driver's validation relies on.

use serial_ioctl::*;

#[test]
fn event_valid_mask_is_exactly_the_named_events() {
    let all = ev::RXCHAR
        | ev::RXFLAG
        | ev::TXEMPTY
        | ev::CTS
        | ev::DSR
        | ev::RLSD
        | ev::BREAK
        | ev::ERR
        | ev::RING
        | ev::PERR
        | ev::RX80FULL
        | ev::EVENT1
        | ev::EVENT2;
    assert_eq!(all, ev::VALID_MASK);
    assert_eq!(ev::VALID_MASK, 0x1FFF);
}

#[test]
fn purge_valid_mask_is_exactly_the_named_flags() {
    assert_eq!(
        purge::TXABORT | purge::RXABORT | purge::TXCLEAR | purge::RXCLEAR,
        purge::VALID_MASK
    );
    assert_eq!(purge::VALID_MASK, 0xF);
}

#[test]
fn handflow_invalid_masks_exclude_every_defined_bit() {
    let control = handflow::DTR_MASK
        | handflow::OUT_HANDSHAKEMASK
        | handflow::DSR_SENSITIVITY
        | handflow::ERROR_ABORT;
    assert_eq!(control & handflow::CONTROL_INVALID, 0);
    assert_eq!(
        handflow::CTS_HANDSHAKE | handflow::DSR_HANDSHAKE | handflow::DCD_HANDSHAKE,
        handflow::OUT_HANDSHAKEMASK
    );
    let flow = handflow::AUTO_TRANSMIT
        | handflow::AUTO_RECEIVE
        | handflow::ERROR_CHAR
        | handflow::NULL_STRIPPING
        | handflow::BREAK_CHAR
        | handflow::RTS_MASK
        | handflow::XOFF_CONTINUE;
    assert_eq!(flow & handflow::FLOW_INVALID, 0);
    assert_eq!(
        handflow::RTS_CONTROL | handflow::RTS_HANDSHAKE,
        handflow::TRANSMIT_TOGGLE
    );
}

#[test]
fn named_baud_rates_are_single_distinct_bits_in_order() {
    let mut previous_bit = 0;
    for (bit, rate) in commprop::NAMED_BAUD_RATES {
        assert_eq!(bit.count_ones(), 1, "{bit:#x}");
        assert!(bit > previous_bit, "{bit:#x} out of order");
        assert_ne!(bit, commprop::BAUD_USER);
        assert!(rate >= 75, "{rate}");
        previous_bit = bit;
    }
    let rate_of = |bit| {
        commprop::NAMED_BAUD_RATES
            .iter()
            .find(|(b, _)| *b == bit)
            .map(|(_, rate)| *rate)
    };
    assert_eq!(rate_of(commprop::BAUD_134_5), Some(134));
    assert_eq!(rate_of(commprop::BAUD_56K), Some(56_000));
    assert_eq!(rate_of(commprop::BAUD_128K), Some(128_000));
    assert_eq!(rate_of(commprop::BAUD_115200), Some(115_200));
    assert_eq!(rate_of(commprop::BAUD_USER), None);
}

#[test]
fn default_clock_gives_divisor_one_at_115200() {
    assert_eq!(SERIAL_DEFAULT_CLOCK_HZ / 16, 115_200);
}

#[test]
fn line_state_mirrors_msr_and_mcr_bit_positions() {
    assert_eq!(line_state::CTS_STATE, u32::from(msr::CTS));
    assert_eq!(line_state::DSR_STATE, u32::from(msr::DSR));
    assert_eq!(line_state::RI_STATE, u32::from(msr::RI));
    assert_eq!(line_state::DCD_STATE, u32::from(msr::DCD));
    assert_eq!(line_state::DTR_STATE, mcr::DTR);
    assert_eq!(line_state::RTS_STATE, mcr::RTS);
}
