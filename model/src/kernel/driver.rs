//! What the machine calls on each port: the [`Driver`] callbacks. The engine's
//! [`serial_engine::Device`] is one; kernel tests write small ones.

use serial_engine::Device;
use serial_engine::kernel::{
    DpcKind, IsrContext, Request as _, RequestId, TimerKind, WorkItemKind,
};
use serial_ioctl::NtStatus;

use super::allocation::Scope;
use super::request::{MajorFunction, ModelRequest};
use super::services::ModelKernel;

/// The entry points of a driver hosted on one port. Every method has a harmless default so test
/// drivers implement only what they exercise.
pub trait Driver: Send + Sync {
    /// The ISR (DIRQL, interrupt lock held): TRUE if the device interrupted.
    fn isr(&self, _isr: &mut IsrContext) -> bool {
        false
    }
    /// A CustomDpc routine (DISPATCH).
    fn run_dpc(&self, _kind: DpcKind) {}
    /// A timer's DPC routine (DISPATCH).
    fn timer_expired(&self, _kind: TimerKind) {}
    /// A work-item routine (PASSIVE).
    fn run_work_item(&self, _kind: WorkItemKind) {}
    /// The cancel callback of a request that was cancelable (DISPATCH).
    fn cancel(&self, _id: RequestId) {}
    /// Prepare-hardware presence probe (PASSIVE).
    fn probe_hardware(&self) -> bool {
        true
    }
    /// D0Entry (PASSIVE).
    fn power_up(&self) {}
    /// D0Exit (PASSIVE).
    fn power_down(&self) {}
    /// EvtDeviceSurpriseRemoval (PASSIVE): the device is gone while a handle may be open.
    fn surprise_removed(&self) {}
    /// IRP_MJ_CREATE (PASSIVE).
    fn create(&self) -> NtStatus {
        NtStatus::SUCCESS
    }
    /// IRP_MJ_CLEANUP (PASSIVE).
    fn cleanup(&self) {}
    /// IRP_MJ_CLOSE (PASSIVE).
    fn close(&self) {}
    /// An I/O request (≤ DISPATCH). The default fails it.
    fn dispatch(&self, request: ModelRequest, _major: MajorFunction) {
        use serial_engine::kernel::Request as _;
        request.complete(NtStatus::INVALID_DEVICE_REQUEST, 0);
    }
}

impl Driver for Device<ModelKernel> {
    fn isr(&self, isr: &mut IsrContext) -> bool {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::isr(self, isr)
    }
    fn run_dpc(&self, kind: DpcKind) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::run_dpc(self, kind);
    }
    fn timer_expired(&self, kind: TimerKind) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::timer_expired(self, kind);
    }
    fn run_work_item(&self, kind: WorkItemKind) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::run_work_item(self, kind);
    }
    fn cancel(&self, id: RequestId) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::cancel(self, id);
    }
    fn probe_hardware(&self) -> bool {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::probe_hardware(self)
    }
    fn power_up(&self) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::power_up(self);
    }
    fn power_down(&self) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::power_down(self);
    }
    fn surprise_removed(&self) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::surprise_removed(self);
    }
    fn create(&self) -> NtStatus {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::create(self)
    }
    fn cleanup(&self) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::cleanup(self);
    }
    fn close(&self) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        Self::close(self);
    }
    fn dispatch(&self, request: ModelRequest, major: MajorFunction) {
        let _engine = Scope::engine(self.kernel().allocation_plan());
        match major {
            MajorFunction::Read => self.read(request),
            MajorFunction::Write => self.write(request),
            MajorFunction::Flush => self.flush(request),
            MajorFunction::DeviceControl(code) => self.device_control(request, code),
            MajorFunction::InternalDeviceControl(code) => {
                self.internal_device_control(request, code)
            }
            // The glue answers these synchronously from its preprocess callback, with the
            // engine's decision.
            MajorFunction::QueryInformation(class) => {
                let mut request = request;
                let (status, information) = self.query_information(class, request.output());
                request.complete(status, information);
            }
            MajorFunction::SetInformation(class) => {
                let status = self.set_information(class);
                request.complete(status, 0);
            }
        }
    }
}
