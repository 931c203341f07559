//! `serial-harness ioctl NAME [VALUES]`: one request on a freshly opened port, printed with its
//! status, Information and decoded output.

use serial_harness::hex;
use serial_harness::ioctl_fields::{self, AnyIoctl, find_field, parse_line};
use serial_harness::port::{Bench, Port, status_text};
use serial_harness::runner::DEFAULT_SEED;
use serial_harness::win32::errors::{win32_error_from_ntstatus, win32_error_name};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, IoctlArgs, target};

/// The input buffer from the command line.
fn input_for(ioctl: AnyIoctl, args: &IoctlArgs) -> Result<Vec<u8>, String> {
    if let Some(text) = &args.hex {
        return hex::parse(text);
    }
    let layout = ioctl.input_layout();
    if args.values.is_empty() {
        return Ok(if layout.is_empty() {
            Vec::new()
        } else {
            ioctl_fields::encode(layout, &[])?
        });
    }
    if layout.is_empty() {
        return Err(format!(
            "{} takes no input (use --hex to send bytes anyway)",
            ioctl.name()
        ));
    }
    let mut values = Vec::new();
    for (position, text) in args.values.iter().enumerate() {
        let (name, value) = match text.split_once('=') {
            Some((name, value)) => (name.trim().to_owned(), value.trim()),
            None if ioctl.name() == "SET_LINE_CONTROL" && args.values.len() == 1 => {
                let (word, parity, stop) = parse_line(text)?;
                values.extend([
                    ("word_length".to_owned(), i64::from(word)),
                    ("parity".to_owned(), i64::from(parity)),
                    ("stop_bits".to_owned(), i64::from(stop)),
                ]);
                continue;
            }
            None => {
                let def = layout.get(position).ok_or_else(|| {
                    format!(
                        "too many values: {} has {} field(s)",
                        ioctl.name(),
                        layout.len()
                    )
                })?;
                (def.name.to_owned(), text.as_str())
            }
        };
        let def = find_field(layout, &name).ok_or_else(|| {
            let known: Vec<&str> = layout.iter().map(|d| d.name).collect();
            format!("unknown field '{name}' (fields: {})", known.join(", "))
        })?;
        values.push((def.name.to_owned(), ioctl_fields::parse_value(def, value)?));
    }
    ioctl_fields::encode(layout, &values)
}

pub fn ioctl(args: &IoctlArgs) -> u8 {
    let Some(ioctl) = AnyIoctl::from_name(&args.name) else {
        eprintln!("error: unknown IOCTL '{}'", args.name);
        return EXIT_USAGE;
    };
    let input = match input_for(ioctl, args) {
        Ok(input) => input,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let factory = match target::from_args(&args.target) {
        Ok(factory) => factory,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    if let Err(reason) = factory.supports(args.topology) {
        eprintln!("error: {reason}");
        return EXIT_USAGE;
    }
    let mut bench: Box<dyn Bench> =
        match factory.create(args.topology, args.seed.unwrap_or(DEFAULT_SEED)) {
            Ok(bench) => bench,
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_USAGE;
            }
        };
    let mut port: Box<dyn Port> = match bench.open(0) {
        Ok(port) => port,
        Err(refused) => {
            eprintln!(
                "error: open failed: {} ({})",
                status_text(refused.status),
                refused.detail
            );
            return EXIT_FAILED;
        }
    };
    let output_len = args.output_len.unwrap_or_else(|| ioctl.output_size());
    let started = match ioctl {
        AnyIoctl::Public(_) => port.start_device_control(ioctl.code(), &input, output_len),
        AnyIoctl::Internal(_) => {
            port.start_internal_device_control(ioctl.code(), &input, output_len)
        }
    };
    let handle = match started {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_FAILED;
        }
    };
    println!(
        "IOCTL_SERIAL_{} (0x{:08X}) on {}{}",
        ioctl.name(),
        ioctl.code(),
        port.label(),
        if input.is_empty() {
            String::new()
        } else {
            format!(", input [{}]", hex::format(&input))
        }
    );
    let result = match port.wait(handle, args.wait_ms) {
        Ok(Some(result)) => result,
        Ok(None) => {
            println!("still pending after {} ms", args.wait_ms);
            let _ = port.cancel(handle);
            let _ = port.wait(handle, 1_000);
            let _ = port.close();
            return EXIT_OK;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_FAILED;
        }
    };
    let win32 = win32_error_from_ntstatus(result.status);
    println!(
        "status: {}, Win32 {}, information {}, {:.4} ms",
        result.status,
        win32_error_name(win32).map_or_else(|| win32.to_string(), str::to_owned),
        result.information,
        result.elapsed_ms()
    );
    for field in ioctl_fields::decode(ioctl.output_layout(), &result.data) {
        println!("  {}", field.describe());
    }
    if !result.data.is_empty() {
        println!("  raw: [{}]", hex::format(&result.data));
    }
    let _ = port.close();
    if result.status.is_success() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}
