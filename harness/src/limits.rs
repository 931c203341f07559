//! What the CLI and scenario files accept. A value beyond a limit is refused with a clear error
//! (exit code 2), never clamped, never an abort: the limits are far above any real use and keep a
//! typo (`len = 18446744073709551615`) from turning into an allocation failure or an hour-long run.

/// Virtual CPUs of a model machine (`--cpus`): 1 to 64.
pub const MAX_CPUS: usize = 64;

/// Bytes of one buffer: a read's `len`, an IOCTL's output length, a `fill`, `demo --bytes`
/// (16 MiB, the largest receive ring SET_QUEUE_SIZE grows to).
pub const MAX_BUFFER_LEN: usize = 16 * 1024 * 1024;

/// Steps in one scenario file.
pub const MAX_STEPS: usize = 10_000;

/// Milliseconds of one `sleep`, `wait`, peer delay, `--wait-ms` or `--for-ms` (one hour).
pub const MAX_MS: u64 = 3_600_000;

/// Characters of the offending line an error message quotes.
pub const MAX_EXCERPT_CHARS: usize = 120;

/// `--cpus`: a number from 1 to [`MAX_CPUS`].
///
/// # Errors
/// A message naming the valid range.
pub fn parse_cpus(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(cpus) if (1..=MAX_CPUS).contains(&cpus) => Ok(cpus),
        _ => Err(format!("'{text}' is not a CPU count from 1 to {MAX_CPUS}")),
    }
}

/// A buffer length from 0 to [`MAX_BUFFER_LEN`].
///
/// # Errors
/// A message naming the limit.
pub fn parse_buffer_len(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(len) if len <= MAX_BUFFER_LEN => Ok(len),
        _ => Err(format!(
            "'{text}' is not a buffer length from 0 to {MAX_BUFFER_LEN} bytes"
        )),
    }
}

/// Milliseconds from 0 to [`MAX_MS`].
///
/// # Errors
/// A message naming the limit.
pub fn parse_ms(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(ms) if ms <= MAX_MS => Ok(ms),
        _ => Err(format!("'{text}' is not a time from 0 to {MAX_MS} ms")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_counts_outside_1_to_64_are_refused_not_clamped() {
        assert_eq!(parse_cpus("1"), Ok(1));
        assert_eq!(parse_cpus("64"), Ok(64));
        for bad in ["0", "65", "100000", "-1", "two"] {
            assert!(
                parse_cpus(bad).unwrap_err().contains("from 1 to 64"),
                "{bad}"
            );
        }
    }

    #[test]
    fn huge_lengths_and_times_are_refused() {
        assert_eq!(parse_buffer_len("16777216"), Ok(MAX_BUFFER_LEN));
        assert!(parse_buffer_len("18446744073709551615").is_err());
        assert!(parse_buffer_len("100000000000").is_err());
        assert_eq!(parse_ms("3600000"), Ok(MAX_MS));
        assert!(parse_ms("18446744073709551615").is_err());
    }
}
