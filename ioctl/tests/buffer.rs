//! `decode`/`encode`: the buffer-length gate, round trips, and no panics on arbitrary input.

use core::fmt::Debug;
use core::mem::size_of;

use bytemuck::Pod;
use proptest::prelude::*;
use serial_ioctl::*;

/// Checks every buffer length 0..=64 for `T`, both directions, at an odd (unaligned) offset.
fn check_every_length<T: Pod + Debug + PartialEq>(value: T) {
    let size = size_of::<T>();
    let pattern = bytemuck::bytes_of(&value).to_vec();
    for len in 0..=64usize {
        // One leading byte makes the slice start at an odd address.
        let mut storage = vec![0xEEu8; len + 1];
        let buffer = &mut storage[1..];
        let written = encode(&value, buffer);
        if len < size {
            assert_eq!(written, Err(NtStatus::BUFFER_TOO_SMALL), "encode len {len}");
            assert!(
                buffer.iter().all(|&b| b == 0xEE),
                "short encode wrote, len {len}"
            );
            assert_eq!(
                decode::<T>(buffer),
                Err(NtStatus::BUFFER_TOO_SMALL),
                "decode len {len}"
            );
        } else {
            assert_eq!(written, Ok(size), "encode len {len}");
            assert_eq!(
                &buffer[..size],
                pattern.as_slice(),
                "encoded bytes, len {len}"
            );
            assert!(
                buffer[size..].iter().all(|&b| b == 0xEE),
                "encode overran, len {len}"
            );
            assert_eq!(decode::<T>(buffer), Ok(value), "decode len {len}");
        }
    }
}

/// A value of `T` whose bytes are 1, 2, 3, … so that every field is distinct and nonzero.
fn numbered<T: Pod>() -> T {
    let bytes: Vec<u8> = (1..=size_of::<T>()).map(|b| b as u8).collect();
    bytemuck::pod_read_unaligned(&bytes)
}

#[test]
fn every_struct_gates_on_length_and_round_trips() {
    check_every_length(numbered::<u8>());
    check_every_length(numbered::<u32>());
    check_every_length(numbered::<SerialBaudRate>());
    check_every_length(numbered::<SerialLineControl>());
    check_every_length(numbered::<SerialTimeouts>());
    check_every_length(numbered::<SerialQueueSize>());
    check_every_length(numbered::<SerialChars>());
    check_every_length(numbered::<SerialHandflow>());
    check_every_length(numbered::<SerialStatus>());
    check_every_length(numbered::<SerialXoffCounter>());
    check_every_length(numbered::<SerialPerfStats>());
    check_every_length(numbered::<SerialBasicSettings>());
    check_every_length(numbered::<SerialCommProp>());
}

#[test]
fn decode_reads_little_endian_fields_in_declared_order() {
    let bytes = [
        1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0,    // SERIAL_TIMEOUTS
        0xFF, // trailing byte beyond the struct is ignored
    ];
    let timeouts: SerialTimeouts = decode(&bytes).unwrap();
    assert_eq!(
        timeouts,
        SerialTimeouts {
            read_interval_timeout: 1,
            read_total_timeout_multiplier: 2,
            read_total_timeout_constant: 3,
            write_total_timeout_multiplier: 4,
            write_total_timeout_constant: 5,
        }
    );
    let chars: SerialChars = decode(&[0x1A, 0x3F, 0, 0x0D, 0x11, 0x13]).unwrap();
    assert_eq!(
        (chars.eof_char, chars.xon_char, chars.xoff_char),
        (0x1A, 0x11, 0x13)
    );
}

#[test]
fn encode_sizes_match_each_ioctl_output_size() {
    let mut buffer = [0u8; 64];
    let cases = [
        (
            SerialIoctl::GetTimeouts,
            encode(&SerialTimeouts::default(), &mut buffer),
        ),
        (
            SerialIoctl::GetCommStatus,
            encode(&SerialStatus::default(), &mut buffer),
        ),
        (
            SerialIoctl::GetProperties,
            encode(&SerialCommProp::default(), &mut buffer),
        ),
        (
            SerialIoctl::GetStats,
            encode(&SerialPerfStats::default(), &mut buffer),
        ),
        (SerialIoctl::WaitOnMask, encode(&0u32, &mut buffer)),
    ];
    for (ioctl, written) in cases {
        assert_eq!(written, Ok(ioctl.output_size()), "{ioctl:?}");
    }
}

proptest! {
    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..=80)) {
        let len = bytes.len();
        prop_assert_eq!(decode::<SerialCommProp>(&bytes).is_ok(), len >= 64);
        prop_assert_eq!(decode::<SerialBasicSettings>(&bytes).is_ok(), len >= 44);
        prop_assert_eq!(decode::<SerialStatus>(&bytes).is_ok(), len >= 20);
        prop_assert_eq!(decode::<SerialXoffCounter>(&bytes).is_ok(), len >= 12);
        prop_assert_eq!(decode::<SerialLineControl>(&bytes).is_ok(), len >= 3);
        prop_assert_eq!(decode::<u32>(&bytes).is_ok(), len >= 4);
        prop_assert_eq!(decode::<u8>(&bytes).is_ok(), len >= 1);
    }

    #[test]
    fn encode_then_decode_is_identity(value in any::<[u32; 11]>(), extra in 0usize..8) {
        let settings: SerialBasicSettings = bytemuck::cast(value);
        let mut buffer = vec![0u8; 44 + extra];
        prop_assert_eq!(encode(&settings, &mut buffer), Ok(44));
        prop_assert_eq!(decode::<SerialBasicSettings>(&buffer), Ok(settings));
    }
}
