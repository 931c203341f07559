//! The scheduler: at every scheduling point it lists what could happen next, lets the strategy pick
//! one, and advances virtual time when nothing can happen at the current instant.

use serial_engine::kernel::TimerKind;

use super::irql::Irql;
use super::strategy::{Step, StepKind};
use super::verifier::rule;
use super::world::{Action, ActionSlot, DpcObject, GoalKind, Holder, Wait, Work, World};

impl World {
    /// Everything that could happen next at the current instant.
    pub(crate) fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let ports = self.ports();
        for (index, cpu) in self.cpus.iter().enumerate() {
            if cpu.dead {
                continue;
            }
            if cpu.irql < Irql::DIRQL {
                for port in 0..ports {
                    if self.in_service[port].is_none() && self.line(port) {
                        steps.push(Step {
                            cpu: index,
                            kind: StepKind::Isr(port),
                        });
                    }
                }
            }
            // A DPC queued on a CPU below DISPATCH preempts whatever that CPU runs.
            let dpc_due = cpu.irql < Irql::DISPATCH && !cpu.dpcs.is_empty();
            if dpc_due {
                steps.push(Step {
                    cpu: index,
                    kind: StepKind::Dpc,
                });
            } else if cpu.is_idle() {
                if self
                    .jobs
                    .iter()
                    .any(|job| job.cpu.is_none_or(|c| c == index))
                {
                    steps.push(Step {
                        cpu: index,
                        kind: StepKind::StartJob,
                    });
                }
            } else {
                let ready = match cpu.wait {
                    Wait::None => true,
                    Wait::Spin(id) => self
                        .locks
                        .get(id.0)
                        .is_some_and(|lock| lock.owner.is_none()),
                    Wait::Until(t) | Wait::Busy(t) => self.now >= t,
                    Wait::Flush(seq) => self.flushed(seq),
                };
                if ready {
                    steps.push(Step {
                        cpu: index,
                        kind: StepKind::Resume,
                    });
                }
            }
        }
        steps
    }

    /// Decides who runs next. Called by the baton holder `me` with the world locked; returns the
    /// next holder (with its mailbox filled) or the controller when the run should stop.
    pub(crate) fn decide(&mut self, me: Holder) -> Holder {
        loop {
            if self.halted {
                return Holder::Controller;
            }
            self.steps_this_instant += 1;
            if self.steps_this_instant > self.limits.steps_per_instant {
                let message = format!(
                    "{} scheduling steps at t={} without time passing (a busy loop?):{}",
                    self.limits.steps_per_instant,
                    self.now,
                    self.describe_cpus()
                );
                self.fatal(rule::LIVELOCK, None, message);
                continue;
            }
            let steps = self.steps();
            if !steps.is_empty() {
                let current = match me {
                    Holder::Cpu(cpu) => Some(cpu),
                    Holder::Controller => None,
                };
                let index = self.chooser.pick(&steps, current);
                let step = steps[index.min(steps.len() - 1)];
                self.stats.decisions += 1;
                if self.last_cpu != Some(step.cpu) {
                    self.stats.cpu_switches += 1;
                    self.last_cpu = Some(step.cpu);
                }
                let kind = match step.kind {
                    StepKind::Isr(port) => 0x100 + port as u64,
                    StepKind::Dpc => 1,
                    StepKind::Resume => 2,
                    StepKind::StartJob => 3,
                };
                self.log.hash.word((step.cpu as u64) << 32 | kind);
                return self.apply(step, me);
            }
            // A CPU busy with charged cost gets there when time passes; otherwise a spinning or
            // flushing CPU waits for something that cannot happen.
            let busy = self
                .cpus
                .iter()
                .any(|cpu| matches!(cpu.wait, Wait::Busy(_)));
            if !busy
                && self
                    .cpus
                    .iter()
                    .any(|cpu| matches!(cpu.wait, Wait::Spin(_) | Wait::Flush(_)))
            {
                let message = format!("no CPU can make progress:{}", self.describe_cpus());
                self.fatal(rule::DEADLOCK, None, message);
                continue;
            }
            if self.goal_met() {
                return Holder::Controller;
            }
            match self.next_event_time() {
                Some(t) if t <= self.goal.deadline => self.advance_to(t),
                _ => {
                    if self.goal.deadline != u64::MAX && self.goal.deadline > self.now {
                        self.advance_to(self.goal.deadline);
                    }
                    return Holder::Controller;
                }
            }
        }
    }

    /// Carries out the chosen step: fills the CPU's mailbox and names it the next holder.
    fn apply(&mut self, step: Step, me: Holder) -> Holder {
        let cpu = step.cpu;
        let action = match step.kind {
            StepKind::Resume => {
                self.cpus[cpu].wait = Wait::None;
                if me == Holder::Cpu(cpu) {
                    return me;
                }
                Action::Resume
            }
            StepKind::Isr(port) => {
                self.in_service[port] = Some(cpu);
                Action::Run(Work::Isr(port))
            }
            StepKind::Dpc => {
                let Some(queued) = self.cpus[cpu].dpcs.pop_front() else {
                    return me;
                };
                let state = self.dpcs.entry(queued.object).or_default();
                state.queued = None;
                let concurrent = !state.running.is_empty();
                state.running.push(queued.seq);
                if concurrent {
                    self.stats.dpc_concurrent_runs += 1;
                }
                Action::Run(Work::Dpc(queued))
            }
            StepKind::StartJob => {
                let position = self
                    .jobs
                    .iter()
                    .position(|job| job.cpu.is_none_or(|c| c == cpu));
                let Some(job) = position.and_then(|p| self.jobs.remove(p)) else {
                    return me;
                };
                Action::Run(Work::Job(job))
            }
        };
        self.cpus[cpu].mailbox = Some(ActionSlot(action));
        Holder::Cpu(cpu)
    }

    /// No CPU runs, nothing is queued.
    fn quiet(&self) -> bool {
        self.jobs.is_empty()
            && self
                .cpus
                .iter()
                .all(|cpu| cpu.dead || (cpu.is_idle() && cpu.dpcs.is_empty()))
            && self
                .work_items
                .values()
                .all(|w| !w.queued && w.running == 0)
    }

    fn goal_met(&self) -> bool {
        match self.goal.kind {
            GoalKind::Time => false,
            GoalKind::Job(id) => self.job_results.contains_key(&id),
            GoalKind::Complete(id) => self.requests.get(&id).is_none_or(|r| r.completed),
            GoalKind::Idle => {
                self.quiet() && self.timers.is_empty() && self.bus().next_deadline().is_none()
            }
            GoalKind::Settle => self.quiet(),
            GoalKind::AnyCompletion => !self.new_completions.is_empty(),
        }
    }

    /// The next instant something happens by itself: hardware, a timer, a delay ending.
    fn next_event_time(&self) -> Option<u64> {
        let hardware = self.bus().next_deadline().map(|t| t.max(self.now));
        let timers = self.timers.values().copied().min();
        let delays = self.cpus.iter().filter_map(|cpu| match cpu.wait {
            Wait::Until(t) | Wait::Busy(t) if !cpu.dead => Some(t),
            _ => None,
        });
        hardware.into_iter().chain(timers).chain(delays).min()
    }

    /// Moves virtual time to `t`, lets the hardware catch up and expires due timers (each queues
    /// its DPC on the CPU that takes the clock interrupt).
    pub(crate) fn advance_to(&mut self, t: u64) {
        if t > self.now {
            self.now = t;
            self.steps_this_instant = 0;
            self.isrs_this_instant = 0;
        }
        self.bus().advance(self.now);
        let now = self.now;
        let mut due: Vec<(u64, (usize, TimerKind))> = self
            .timers
            .iter()
            .filter(|(_, expiry)| **expiry <= now)
            .map(|(key, expiry)| (*expiry, *key))
            .collect();
        due.sort_unstable();
        for (_, (port, kind)) in due {
            self.timers.remove(&(port, kind));
            self.stats.timer_expiries += 1;
            let live: Vec<usize> = (0..self.cpus.len())
                .filter(|&c| !self.cpus[c].dead)
                .collect();
            let cpu = live
                .get(self.chooser.pick_index(live.len()))
                .copied()
                .unwrap_or(0);
            self.event(Some(cpu), || {
                format!("timer {kind:?} of port {port} expired")
            });
            self.insert_dpc(DpcObject::Timer { port, kind }, cpu);
        }
    }
}
