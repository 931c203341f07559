//! The engine hosted on the model: open, loopback write and read, close.

use serial_ioctl::NtStatus;
use serial_model::kernel::{Machine, MachineConfig, Operation, Strategy};
use serial_model::wire::Topology;

#[test]
fn loopback_write_then_read() {
    let config = MachineConfig::from_env_or(MachineConfig {
        topology: Topology::Loopback,
        strategy: Strategy::Random { seed: 1 },
        ..MachineConfig::default()
    });
    let mut machine = Machine::new(config);
    assert!(machine.hardware_present(0));
    assert_eq!(machine.open(0), NtStatus::SUCCESS);
    let write = machine.call(
        0,
        Operation::Write {
            data: b"hello".to_vec(),
        },
    );
    assert_eq!(write.status, NtStatus::SUCCESS, "{}", machine.report());
    assert_eq!(write.information, 5);
    let read = machine.call(0, Operation::Read { len: 5 });
    assert_eq!(read.status, NtStatus::SUCCESS);
    assert_eq!(read.output, b"hello");
    machine.close(0);
    println!("{:?}", machine.stats());
}
