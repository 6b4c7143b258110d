//! Registration (`POST /register`): names checked before User-Interactive
//! Authentication, guests if allowed, generated localparts for those who ask for none.

use axum::http::StatusCode;
use matrix_api::client_server as api;
use matrix_api::types::{self, MatrixError, MatrixErrorCode, RegisterKind};

use super::{Homeserver, device_id, password_within_limit, session_id, uia, username};
use crate::clock::{millis, now_ms};
use crate::errors::{bad_request, error, internal};
use crate::secrets;
use crate::store::{HomeserverStore, User};

const REGISTER_FLOWS: uia::Flows<'static> = uia::Flows {
    endpoint: "register",
    flows: &[&[uia::DUMMY]],
};

impl<S: HomeserverStore> Homeserver<S> {
    /// `POST /register`: the name checked first, then User-Interactive Authentication
    /// (the dummy stage), then the account and its first login.
    // Long because registration is one sequence of rules in the order the spec gives
    // them (kind, name, password, UIA, account, first login).
    pub(super) async fn register_account(
        &self,
        request: api::RegisterRequest,
    ) -> Result<api::RegisterResponse, MatrixError> {
        let body = request.body;
        let is_guest = match request.kind {
            RegisterKind::User => false,
            RegisterKind::Guest if self.config.allow_guests => true,
            RegisterKind::Guest => {
                return Err(error(
                    StatusCode::FORBIDDEN,
                    MatrixErrorCode::GuestAccessForbidden,
                    "Guest access is disabled",
                ));
            }
            other => {
                return Err(MatrixError::invalid_parameter(format!(
                    "Invalid kind {}",
                    other.as_str()
                )));
            }
        };
        // Checked before authentication, so a client learns early that a name is unusable.
        let localpart = match (&body.username, is_guest) {
            (Some(requested), false) => {
                let localpart = match username::localpart(requested, &self.config.server_name) {
                    Ok(localpart) => localpart,
                    Err(error) => return api::RegisterResponse::from_error(error),
                };
                if self
                    .store
                    .user(&self.user_id(&localpart))
                    .await
                    .map_err(internal)?
                    .is_some()
                {
                    return api::RegisterResponse::from_error(bad_request(
                        MatrixErrorCode::UserInUse,
                        "User ID already taken",
                    ));
                }
                Some(localpart)
            }
            _ => None,
        };
        password_within_limit(&body.password)?;

        let lifetime = millis(self.config.uia_session_lifetime);
        let mut session = uia::session(
            &*self.store,
            REGISTER_FLOWS,
            None,
            body.auth.as_ref(),
            lifetime,
        )
        .await?;
        let Some(auth) = &body.auth else {
            return Ok(api::RegisterResponse::Unauthorized(
                REGISTER_FLOWS.challenge(&session, None),
            ));
        };
        if auth.type_ != uia::DUMMY
            || !uia::complete_stage(&*self.store, REGISTER_FLOWS, &mut session, uia::DUMMY).await?
        {
            return Ok(api::RegisterResponse::Unauthorized(
                REGISTER_FLOWS.challenge(&session, None),
            ));
        }
        uia::consume(&*self.store, &session).await?;

        let device_id = device_id(body.device_id.as_deref())?;
        let password_hash = secrets::hash_password(body.password.into_string())
            .await
            .map_err(internal)?;
        let created = now_ms();
        let (user_id, access, refresh) = loop {
            let localpart = match &localpart {
                Some(localpart) => localpart.clone(),
                None => self
                    .store
                    .next_generated_localpart()
                    .await
                    .map_err(internal)?
                    .to_string(),
            };
            let user = User {
                user_id: self.user_id(&localpart),
                password_hash: Some(password_hash.clone()),
                is_guest,
            };
            let (first_login, access, refresh) =
                self.token_pair(&user.user_id, session_id(&user.user_id, &device_id));
            match self.store.create_user(&user, created, &first_login).await {
                Ok(()) => break (user.user_id, access, refresh),
                // Registered meanwhile: the name was free when checked, but is not now.
                Err(crate::store::StoreError::Conflict)
                    if localpart_was_requested(&body.username, is_guest) =>
                {
                    return api::RegisterResponse::from_error(bad_request(
                        MatrixErrorCode::UserInUse,
                        "User ID already taken",
                    ));
                }
                // A generated localpart someone took by hand: try the next.
                Err(crate::store::StoreError::Conflict) => continue,
                Err(error) => return Err(internal(error)),
            }
        };
        tracing::info!(%user_id, is_guest, "registered");
        let ok = session_body!(
            types::RegisterOkBody,
            self,
            user_id,
            device_id,
            access,
            refresh
        );
        Ok(api::RegisterResponse::Ok(ok))
    }
}

fn localpart_was_requested(username: &Option<String>, is_guest: bool) -> bool {
    username.is_some() && !is_guest
}
