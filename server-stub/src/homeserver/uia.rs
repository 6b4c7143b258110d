//! User-Interactive Authentication, once for every endpoint that uses it: sessions bound
//! to their endpoint (and user), that expire, record completed stages, and are consumed
//! by the request that completes a flow, so a finished session cannot be replayed.

use std::collections::BTreeMap;

use matrix_api::types::{AuthData, FlowInformation, MatrixError, MatrixErrorCode, UiaaResponse};

use crate::clock::now_ms;
use crate::secrets::random_token;
use crate::store::{HomeserverStore, UiaSession};

pub const DUMMY: &str = "m.login.dummy";
pub const PASSWORD: &str = "m.login.password";
pub const EMAIL_IDENTITY: &str = "m.login.email.identity";

fn unknown_session() -> MatrixError {
    crate::errors::bad_request(
        MatrixErrorCode::Unknown,
        "Unknown or expired authentication session",
    )
}

/// The flows an endpoint offers: each a list of stages.
#[derive(Debug, Clone, Copy)]
pub struct Flows<'a> {
    pub endpoint: &'a str,
    pub flows: &'a [&'a [&'a str]],
}

impl Flows<'_> {
    /// The 401 answer: what remains to be done, and what failed last, if anything.
    pub fn challenge(&self, session: &UiaSession, failure: Option<&MatrixError>) -> UiaaResponse {
        let flows = self
            .flows
            .iter()
            .map(|stages| FlowInformation::new(stages.iter().map(|s| s.to_string()).collect()))
            .collect();
        let mut response = UiaaResponse::new(flows);
        response.params = Some(BTreeMap::new());
        response.session = Some(session.id.clone());
        if !session.completed.is_empty() {
            response.completed = Some(session.completed.clone());
        }
        if let Some(failure) = failure {
            response.errcode = Some(failure.body.errcode.to_string());
            response.error = Some(failure.body.error.clone());
        }
        response
    }

    fn satisfied_by(&self, completed: &[String]) -> bool {
        self.flows.iter().any(|stages| {
            stages
                .iter()
                .all(|stage| completed.iter().any(|c| c == stage))
        })
    }
}

/// The session an attempt continues, or a new one when it names none. An unknown session,
/// one of another endpoint or user, or one past its lifetime is refused.
pub async fn session<S: HomeserverStore>(
    store: &S,
    flows: Flows<'_>,
    user_id: Option<&str>,
    auth: Option<&AuthData>,
    lifetime_ms: i64,
) -> Result<UiaSession, MatrixError> {
    let now = now_ms();
    if let Some(id) = auth.and_then(|a| a.session.as_deref()) {
        let session = store
            .uia_session(id)
            .await
            .map_err(crate::errors::internal)?
            .ok_or_else(unknown_session)?;
        if session.endpoint != flows.endpoint || session.user_id.as_deref() != user_id {
            return Err(unknown_session());
        }
        if now - session.created_at > lifetime_ms {
            store
                .delete_uia_session(id)
                .await
                .map_err(crate::errors::internal)?;
            return Err(unknown_session());
        }
        return Ok(session);
    }
    let session = UiaSession {
        id: random_token(24),
        endpoint: flows.endpoint.to_owned(),
        user_id: user_id.map(str::to_owned),
        completed: Vec::new(),
        created_at: now,
    };
    store
        .insert_uia_session(&session)
        .await
        .map_err(crate::errors::internal)?;
    Ok(session)
}

/// Records a completed stage; true when a whole flow is now complete.
pub async fn complete_stage<S: HomeserverStore>(
    store: &S,
    flows: Flows<'_>,
    session: &mut UiaSession,
    stage: &str,
) -> Result<bool, MatrixError> {
    store
        .complete_uia_stage(&session.id, stage)
        .await
        .map_err(crate::errors::internal)?;
    if !session.completed.iter().any(|c| c == stage) {
        session.completed.push(stage.to_owned());
    }
    Ok(flows.satisfied_by(&session.completed))
}

/// Ends a completed session. Only one request can: a concurrent replay is refused.
pub async fn consume<S: HomeserverStore>(
    store: &S,
    session: &UiaSession,
) -> Result<(), MatrixError> {
    if store
        .delete_uia_session(&session.id)
        .await
        .map_err(crate::errors::internal)?
    {
        Ok(())
    } else {
        Err(unknown_session())
    }
}
