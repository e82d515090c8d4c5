//! What the call engine tells the rest of the SBC (metrics, CDR writer, later the
//! monitoring plane and the API's event stream).

use sbc_core::call::Cdr;
use sbc_core::ids::{CallRef, TrunkName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    Started {
        call: CallRef,
        ingress: Option<TrunkName>,
        target: TrunkName,
    },
    Answered {
        call: CallRef,
    },
    Ended(Cdr),
}
