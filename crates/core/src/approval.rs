//! The approval state machine (PRODUCT.md, "Approval request").
//!
//! `pending` → `approved` | `denied` | `expired` | `cancelled`; an approved request is then
//! `executed` or `failed` once the adapter reports back. Every transition is a method that
//! checks its preconditions and either changes the request or refuses with a reason; the
//! first valid terminal state wins because a terminal request refuses every later change.
//! Time is an argument (milliseconds since the epoch), never read here.

use crate::decision::{OnTimeout, Requirement};
use crate::principal::Principal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Approved,
    Denied,
    Expired,
    Cancelled,
    Executed,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Cancelled => "cancelled",
            State::Executed => "executed",
            State::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "pending" => State::Pending,
            "approved" => State::Approved,
            "denied" => State::Denied,
            "expired" => State::Expired,
            "cancelled" => State::Cancelled,
            "executed" => State::Executed,
            "failed" => State::Failed,
            _ => return None,
        })
    }
}

/// The part of a request the state machine needs. Its fields are private: only the
/// transitions below change it, so no caller can mark a request approved by assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    state: State,
    requirement: Requirement,
    /// When the current wait ends (ms since epoch).
    deadline_ms: i64,
    /// Names of the requester and every ancestor: none of them may approve.
    chain: Vec<String>,
    /// Distinct approvers so far.
    approvals: Vec<String>,
    escalations: u32,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("request is already {0}")]
    NotPending(&'static str),
    #[error("request expired before this answer arrived")]
    Expired,
    #[error("`{0}` is in the requester's delegation chain and cannot approve its own request")]
    SelfApproval(String),
    #[error("`{0}` is an agent; agents never approve")]
    Agent(String),
    #[error("`{0}` has already approved this request; quorum counts distinct approvers")]
    AlreadyApproved(String),
    #[error("`{name}` is not an eligible approver: {why}")]
    NotEligible { name: String, why: String },
    #[error("request is not approved")]
    NotApproved,
    #[error("request has not timed out yet")]
    NotDue,
}

/// What a transition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An approval was counted; `have` of `need` so far.
    Counted {
        have: u32,
        need: u32,
    },
    /// Quorum reached: the request is approved.
    Approved,
    Denied,
    /// Timed out; the request ended as `state` (denied by expiry, or approved by policy).
    TimedOut(State),
    /// Timed out and re-targeted at `role` with a fresh deadline.
    Escalated {
        role: String,
        deadline_ms: i64,
    },
    Cancelled,
    Reported(State),
}

/// Most escalations before a timeout simply denies, so that a loop of escalations ends.
pub const MAX_ESCALATIONS: u32 = 3;

impl Approval {
    /// A new pending request under `requirement`, asked by `chain` (requester first).
    pub fn new(requirement: Requirement, deadline_ms: i64, chain: Vec<String>) -> Approval {
        Approval {
            state: State::Pending,
            requirement,
            deadline_ms,
            chain,
            approvals: Vec::new(),
            escalations: 0,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }

    pub fn deadline_ms(&self) -> i64 {
        self.deadline_ms
    }

    pub fn chain(&self) -> &[String] {
        &self.chain
    }

    pub fn approvals(&self) -> &[String] {
        &self.approvals
    }

    pub fn escalations(&self) -> u32 {
        self.escalations
    }

    fn pending(&self, now_ms: i64) -> Result<(), Refusal> {
        if self.state != State::Pending {
            return Err(Refusal::NotPending(self.state.as_str()));
        }
        if now_ms >= self.deadline_ms {
            return Err(Refusal::Expired);
        }
        Ok(())
    }

    fn check_approver(&self, who: &Principal) -> Result<(), Refusal> {
        if who.is_agent() {
            return Err(Refusal::Agent(who.name.clone()));
        }
        if self.chain.iter().any(|c| c == &who.name) {
            return Err(Refusal::SelfApproval(who.name.clone()));
        }
        Ok(())
    }

    /// Counts an approval from `who`. `eligible` is the policy's answer to "may this person
    /// approve this request" (roles and Cedar), checked by the caller.
    pub fn approve(
        &mut self,
        who: &Principal,
        eligible: Result<(), String>,
        now_ms: i64,
    ) -> Result<Outcome, Refusal> {
        self.pending(now_ms)?;
        self.check_approver(who)?;
        eligible.map_err(|why| Refusal::NotEligible {
            name: who.name.clone(),
            why,
        })?;
        if self.approvals.contains(&who.name) {
            return Err(Refusal::AlreadyApproved(who.name.clone()));
        }
        self.approvals.push(who.name.clone());
        let have = self.approvals.len() as u32;
        let need = self.requirement.quorum.max(1);
        if have >= need {
            self.state = State::Approved;
            Ok(Outcome::Approved)
        } else {
            Ok(Outcome::Counted { have, need })
        }
    }

    /// One eligible person's deny ends the request.
    pub fn deny(
        &mut self,
        who: &Principal,
        eligible: Result<(), String>,
        now_ms: i64,
    ) -> Result<Outcome, Refusal> {
        self.pending(now_ms)?;
        self.check_approver(who)?;
        eligible.map_err(|why| Refusal::NotEligible {
            name: who.name.clone(),
            why,
        })?;
        self.state = State::Denied;
        Ok(Outcome::Denied)
    }

    /// Applies `on_timeout` once the deadline has passed.
    pub fn expire(&mut self, now_ms: i64) -> Result<Outcome, Refusal> {
        if self.state != State::Pending {
            return Err(Refusal::NotPending(self.state.as_str()));
        }
        if now_ms < self.deadline_ms {
            return Err(Refusal::NotDue);
        }
        match self.requirement.on_timeout.clone() {
            OnTimeout::Escalate(role) if self.escalations < MAX_ESCALATIONS => {
                self.escalations += 1;
                self.requirement.approvers = vec![role.clone()];
                self.requirement.on_timeout = OnTimeout::Deny;
                let deadline_ms =
                    now_ms.saturating_add((self.requirement.timeout_s as i64).saturating_mul(1000));
                self.deadline_ms = deadline_ms;
                Ok(Outcome::Escalated { role, deadline_ms })
            }
            OnTimeout::Allow => {
                self.state = State::Approved;
                Ok(Outcome::TimedOut(State::Approved))
            }
            _ => {
                self.state = State::Expired;
                Ok(Outcome::TimedOut(State::Expired))
            }
        }
    }

    /// The waiting agent gave up (or its process is gone).
    pub fn cancel(&mut self) -> Result<Outcome, Refusal> {
        if self.state != State::Pending {
            return Err(Refusal::NotPending(self.state.as_str()));
        }
        self.state = State::Cancelled;
        Ok(Outcome::Cancelled)
    }

    /// The enforcement point reports what happened to an approved action.
    pub fn report(&mut self, ok: bool) -> Result<Outcome, Refusal> {
        if self.state != State::Approved {
            return Err(Refusal::NotApproved);
        }
        self.state = if ok { State::Executed } else { State::Failed };
        Ok(Outcome::Reported(self.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Mode;
    use crate::principal::PrincipalKind;
    use proptest::prelude::*;

    fn person(name: &str) -> Principal {
        Principal {
            name: name.into(),
            kind: PrincipalKind::User,
            roles: vec!["owner".into()],
            parent: None,
        }
    }

    fn request(quorum: u32, on_timeout: OnTimeout) -> Approval {
        Approval {
            state: State::Pending,
            requirement: Requirement {
                approvers: vec!["owner".into()],
                quorum,
                mode: Mode::Always,
                timeout_s: 10,
                on_timeout,
            },
            deadline_ms: 10_000,
            chain: vec!["agent".into(), "alice".into()],
            approvals: vec![],
            escalations: 0,
        }
    }

    #[test]
    fn quorum_counts_distinct_approvers() {
        let mut r = request(2, OnTimeout::Deny);
        assert_eq!(
            r.approve(&person("bob"), Ok(()), 1),
            Ok(Outcome::Counted { have: 1, need: 2 })
        );
        assert_eq!(
            r.approve(&person("bob"), Ok(()), 2),
            Err(Refusal::AlreadyApproved("bob".into()))
        );
        assert_eq!(
            r.approve(&person("carol"), Ok(()), 3),
            Ok(Outcome::Approved)
        );
        assert!(matches!(
            r.deny(&person("dave"), Ok(()), 4),
            Err(Refusal::NotPending(_))
        ));
    }

    #[test]
    fn the_chain_and_agents_never_approve() {
        let mut r = request(1, OnTimeout::Deny);
        assert!(matches!(
            r.approve(&person("alice"), Ok(()), 1),
            Err(Refusal::SelfApproval(_))
        ));
        let bot = Principal {
            name: "bot".into(),
            kind: PrincipalKind::Agent,
            roles: vec!["owner".into()],
            parent: None,
        };
        assert!(matches!(r.approve(&bot, Ok(()), 1), Err(Refusal::Agent(_))));
        assert!(matches!(
            r.approve(&person("eve"), Err("no role".into()), 1),
            Err(Refusal::NotEligible { .. })
        ));
        assert_eq!(r.state, State::Pending);
    }

    #[test]
    fn late_answers_are_refused_and_timeouts_follow_policy() {
        let mut r = request(1, OnTimeout::Deny);
        assert_eq!(
            r.approve(&person("bob"), Ok(()), 10_000),
            Err(Refusal::Expired)
        );
        assert_eq!(r.expire(9_999), Err(Refusal::NotDue));
        assert_eq!(r.expire(10_000), Ok(Outcome::TimedOut(State::Expired)));
        let mut a = request(1, OnTimeout::Allow);
        assert_eq!(a.expire(10_001), Ok(Outcome::TimedOut(State::Approved)));
        let mut e = request(1, OnTimeout::Escalate("security".into()));
        assert_eq!(
            e.expire(10_000),
            Ok(Outcome::Escalated {
                role: "security".into(),
                deadline_ms: 20_000
            })
        );
        assert_eq!(e.requirement.approvers, vec!["security".to_string()]);
        assert_eq!(e.expire(20_000), Ok(Outcome::TimedOut(State::Expired)));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Approve(u8, i64),
        Deny(u8, i64),
        Expire(i64),
        Cancel,
        Report(bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..4, 0i64..12_000).prop_map(|(w, t)| Op::Approve(w, t)),
            (0u8..4, 0i64..12_000).prop_map(|(w, t)| Op::Deny(w, t)),
            (0i64..12_000).prop_map(Op::Expire),
            Just(Op::Cancel),
            any::<bool>().prop_map(Op::Report),
        ]
    }

    proptest! {
        /// Model check: random operation sequences never leave a terminal state, approve only
        /// with a quorum of distinct non-chain approvers before the deadline, and never let
        /// anything but `report` follow approval.
        #[test]
        fn terminal_states_are_final(ops in proptest::collection::vec(op(), 0..30), quorum in 1u32..4) {
            let names = ["bob", "carol", "dave", "alice"];
            let mut r = request(quorum, OnTimeout::Deny);
            let mut model_approvers: Vec<&str> = vec![];
            for op in ops {
                let before = r.state;
                let res = match &op {
                    Op::Approve(w, t) => r.approve(&person(names[*w as usize]), Ok(()), *t),
                    Op::Deny(w, t) => r.deny(&person(names[*w as usize]), Ok(()), *t),
                    Op::Expire(t) => r.expire(*t),
                    Op::Cancel => r.cancel(),
                    Op::Report(ok) => r.report(*ok),
                };
                if let (Op::Approve(w, t), Ok(_)) = (&op, &res) {
                    prop_assert!(*t < 10_000);
                    prop_assert!(names[*w as usize] != "alice");
                    model_approvers.push(names[*w as usize]);
                }
                match before {
                    State::Pending => {}
                    State::Approved => prop_assert!(res.is_err() || matches!(op, Op::Report(_))),
                    _ => prop_assert!(res.is_err(), "{:?} changed a {:?} request", op, before),
                }
                if r.state == State::Approved && before == State::Pending {
                    let mut distinct = model_approvers.clone();
                    distinct.sort();
                    distinct.dedup();
                    prop_assert_eq!(distinct.len() as u32, quorum);
                }
            }
        }
    }
}
