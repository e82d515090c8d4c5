//! Monitoring modes as nothing but hear sets: who hears whom in listen, whisper,
//! barge and take-over, compiled at signaling time into a `MixPlan` that the mixer
//! applies with `set_hears`. The tick never asks which mode it is in.
//!
//! For one supervisor (issue 4):
//! - listen: supervisor hears customer + agent; customer and agent hear each other;
//! - whisper: agent hears customer + supervisor; the customer hears only the agent;
//! - barge: agent hears customer + supervisor, customer hears agent + supervisor,
//!   supervisor hears both;
//! - take-over: customer hears supervisor, supervisor hears customer; the agent is
//!   released (hears nothing) or, if configured, left listening to both.
//!
//! With several supervisors the rules compose: a supervisor's voice reaches the
//! customer in barge and take-over and the agent in whisper, barge and take-over
//! (when the agent is left listening); every supervisor hears the customer, the agent
//! while the agent is still in the conversation, and the supervisors who speak into it
//! (barge, take-over).
//!
//! The modes themselves and the take-over policy are the domain's
//! (`sbc_core::monitoring::MonitorMode`, `sbc_core::media::AgentAfterTakeover`): one
//! vocabulary from the config and the audit log down to the hear sets.

use sbc_core::media::AgentAfterTakeover;
use sbc_core::monitoring::MonitorMode;

use super::{InputId, Mixer, MixerError, OutputId};

/// Whether the customer hears a supervisor in `mode`.
fn reaches_customer(mode: MonitorMode) -> bool {
    matches!(mode, MonitorMode::Barge | MonitorMode::Takeover)
}

/// Whether the agent hears a supervisor in `mode` (take-over: if the agent stays).
fn reaches_agent(mode: MonitorMode) -> bool {
    matches!(
        mode,
        MonitorMode::Whisper | MonitorMode::Barge | MonitorMode::Takeover
    )
}

/// A party of the mix: what it says (an input) and what it is sent (an output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Participant {
    pub input: InputId,
    pub output: OutputId,
}

/// A supervisor on the call and its current mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supervisor {
    pub party: Participant,
    pub mode: MonitorMode,
}

/// Who hears whom, per output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixPlan {
    entries: Vec<(OutputId, Vec<InputId>)>,
}

impl MixPlan {
    /// The plan for a call with any number of supervisors (see the module docs).
    pub fn for_call(
        customer: Participant,
        agent: Participant,
        supervisors: &[Supervisor],
        after_take_over: AgentAfterTakeover,
    ) -> Self {
        let taken_over = supervisors.iter().any(|s| s.mode == MonitorMode::Takeover);
        let agent_released = taken_over && after_take_over == AgentAfterTakeover::Released;
        let voices = |pred: fn(MonitorMode) -> bool| {
            supervisors
                .iter()
                .filter(move |s| pred(s.mode))
                .map(|s| s.party.input)
        };
        let mut customer_hears: Vec<InputId> = voices(reaches_customer).collect();
        let mut agent_hears = Vec::new();
        if !taken_over {
            customer_hears.insert(0, agent.input);
        }
        if !agent_released {
            agent_hears.push(customer.input);
            agent_hears.extend(voices(reaches_agent));
        }
        let mut entries = vec![
            (customer.output, customer_hears),
            (agent.output, agent_hears),
        ];
        for s in supervisors {
            let mut hears = vec![customer.input];
            if !taken_over {
                hears.push(agent.input);
            }
            hears.extend(voices(reaches_customer).filter(|&i| i != s.party.input));
            entries.push((s.party.output, hears));
        }
        MixPlan { entries }
    }

    /// One supervisor listening: it hears customer and agent.
    pub fn listen(customer: Participant, agent: Participant, supervisor: Participant) -> Self {
        Self::single(
            customer,
            agent,
            supervisor,
            MonitorMode::Listen,
            AgentAfterTakeover::Released,
        )
    }

    /// One supervisor whispering: the agent hears customer and supervisor.
    pub fn whisper(customer: Participant, agent: Participant, supervisor: Participant) -> Self {
        Self::single(
            customer,
            agent,
            supervisor,
            MonitorMode::Whisper,
            AgentAfterTakeover::Released,
        )
    }

    /// One supervisor barging: everyone hears the other two.
    pub fn barge(customer: Participant, agent: Participant, supervisor: Participant) -> Self {
        Self::single(
            customer,
            agent,
            supervisor,
            MonitorMode::Barge,
            AgentAfterTakeover::Released,
        )
    }

    /// One supervisor taking over: customer and supervisor hear each other.
    pub fn take_over(
        customer: Participant,
        agent: Participant,
        supervisor: Participant,
        after: AgentAfterTakeover,
    ) -> Self {
        Self::single(customer, agent, supervisor, MonitorMode::Takeover, after)
    }

    fn single(
        customer: Participant,
        agent: Participant,
        supervisor: Participant,
        mode: MonitorMode,
        after: AgentAfterTakeover,
    ) -> Self {
        let sup = Supervisor {
            party: supervisor,
            mode,
        };
        Self::for_call(customer, agent, &[sup], after)
    }

    /// `(output, inputs it hears)` for every output of the plan.
    pub fn entries(&self) -> impl Iterator<Item = (OutputId, &[InputId])> {
        self.entries.iter().map(|(o, i)| (*o, i.as_slice()))
    }

    /// What `output` hears under this plan (empty if the plan does not name it).
    pub fn hears(&self, output: OutputId) -> &[InputId] {
        self.entries
            .iter()
            .find(|(o, _)| *o == output)
            .map_or(&[], |(_, i)| i.as_slice())
    }

    /// The one input `output` hears, when it hears exactly one: the relay may then
    /// forward that input's packets untouched (a pure tap, as listen mode requires for
    /// customer and agent) instead of the mixer's re-encoded stream, if the codecs
    /// match.
    pub fn direct_source(&self, output: OutputId) -> Option<InputId> {
        match self.hears(output) {
            [only] => Some(*only),
            _ => None,
        }
    }
}

impl Mixer {
    /// Apply every entry of `plan`; all are checked first, so an invalid plan
    /// changes nothing.
    pub fn apply(&mut self, plan: &MixPlan) -> Result<(), MixerError> {
        for (output, inputs) in plan.entries() {
            self.check_hears(output, inputs)?;
        }
        for (output, inputs) in plan.entries() {
            self.set_hears(output, inputs)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(i: usize) -> Participant {
        Participant {
            input: InputId::new(i, 0),
            output: OutputId::new(i, 0),
        }
    }

    #[test]
    fn single_supervisor_modes_match_the_issue() {
        let (c, a, s) = (party(0), party(1), party(2));
        let listen = MixPlan::listen(c, a, s);
        assert_eq!(listen.hears(s.output), &[c.input, a.input]);
        assert_eq!(listen.direct_source(c.output), Some(a.input));
        assert_eq!(listen.direct_source(a.output), Some(c.input));
        let whisper = MixPlan::whisper(c, a, s);
        assert_eq!(whisper.hears(a.output), &[c.input, s.input]);
        assert_eq!(whisper.direct_source(c.output), Some(a.input));
        let barge = MixPlan::barge(c, a, s);
        assert_eq!(barge.hears(c.output), &[a.input, s.input]);
        assert_eq!(barge.hears(a.output), &[c.input, s.input]);
        assert_eq!(barge.hears(s.output), &[c.input, a.input]);
        let take = MixPlan::take_over(c, a, s, AgentAfterTakeover::Released);
        assert_eq!(take.hears(c.output), &[s.input]);
        assert_eq!(take.hears(s.output), &[c.input]);
        assert!(take.hears(a.output).is_empty());
        let stay = MixPlan::take_over(c, a, s, AgentAfterTakeover::Listening);
        assert_eq!(stay.hears(a.output), &[c.input, s.input]);
    }

    #[test]
    fn several_supervisors_compose() {
        let (c, a) = (party(0), party(1));
        let sups = [
            Supervisor {
                party: party(2),
                mode: MonitorMode::Barge,
            },
            Supervisor {
                party: party(3),
                mode: MonitorMode::Whisper,
            },
        ];
        let plan = MixPlan::for_call(c, a, &sups, AgentAfterTakeover::Released);
        let (barger, whisperer) = (party(2), party(3));
        assert_eq!(plan.hears(c.output), &[a.input, barger.input]);
        assert_eq!(
            plan.hears(a.output),
            &[c.input, barger.input, whisperer.input]
        );
        // The whisperer hears the barger (who speaks into the call), not itself.
        assert_eq!(
            plan.hears(whisperer.output),
            &[c.input, a.input, barger.input]
        );
        assert_eq!(plan.hears(barger.output), &[c.input, a.input]);
    }
}
