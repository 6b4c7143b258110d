//! Invitations to 3pids (`store-invite`), as Sydent keeps them: a token and an ephemeral key
//! per invitation, an email to the address, the invitation delivered to the homeserver of
//! whoever binds the address (`3pid/onbind`), and `sign-ed25519` for the invitee's
//! homeserver.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use matrix_api::types::{self, MatrixError, MatrixErrorCode};
use serde_json::{Value, json};

use super::email::Template;
use super::{IdentityServer, KEY_ID};
use crate::clock::now_ms;
use crate::errors::{bad_request, error, internal};
use crate::ratelimit::Who;
use crate::secrets::{random_seed, random_token};
use crate::signing::KeyPair;
use crate::store::{Association, IdentityStore, PendingInvite};
use crate::threepid;

/// The rate-limit class of invitations, per sender.
const INVITES_PER_SENDER: &str = "store-invite per sender";

/// The longest value a template gets from a request (Sydent shortens room and sender names
/// too): a longer one is cut, so that no line of the email passes SMTP's 998 bytes.
const MAX_TEMPLATE_VALUE: usize = 500;

impl<S: IdentityStore> IdentityServer<S> {
    /// Stores an invitation and emails it: the token and the keys that can vouch for it,
    /// whose validity is checked under `api_base` (`/_matrix/identity/v2` or `.../api/v1`).
    pub(super) async fn invite(
        &self,
        body: types::StoreInviteV2Body,
        api_base: &str,
    ) -> Result<types::StoreInviteV2OkBody, MatrixError> {
        if body.medium != "email" {
            return Err(bad_request(
                MatrixErrorCode::Unrecognized,
                "Only email invitations are supported",
            ));
        }
        let address = threepid::parse_email(&body.address).ok_or_else(|| {
            bad_request(
                MatrixErrorCode::InvalidEmail,
                "The email address is not valid",
            )
        })?;
        if let Some(bound) = self.association_of("email", &address).await? {
            return Err(
                bad_request(MatrixErrorCode::ThreepidInUse, "Binding already known")
                    .with_field("mxid", bound.mxid),
            );
        }
        self.limit(Who::User(body.sender.to_string()), INVITES_PER_SENDER)?;

        let token = random_token(32);
        let ephemeral_seed = random_seed();
        let ephemeral = KeyPair::from_seed(KEY_ID, ephemeral_seed);
        // URL-safe, as Sydent makes them: the private key travels in a link.
        let ephemeral_public = to_url_safe(&ephemeral.public_key());
        let ephemeral_private = URL_SAFE_NO_PAD.encode(ephemeral_seed);
        let invite = PendingInvite {
            token: token.clone(),
            medium: "email".into(),
            address: address.clone(),
            room_id: body.room_id.to_string(),
            sender: body.sender.to_string(),
            created_at: now_ms(),
        };
        self.store
            .insert_invite(&invite, &ephemeral_public)
            .await
            .map_err(internal)?;

        let public_url = self.config.public_url.trim_end_matches('/');
        let sign_url = format!(
            "{public_url}/_matrix/identity/v2/sign-ed25519?{}",
            serde_urlencoded::to_string([
                ("token", token.as_str()),
                ("private_key", ephemeral_private.as_str()),
            ])
            .map_err(internal)?
        );
        let mut variables = invite_variables(
            &body,
            &self.config.web_client_location,
            token.clone(),
            ephemeral_private,
        );
        variables.insert("signurl".into(), sign_url);
        if self
            .send_email(Template::Invite, &address, variables)
            .await
            .is_err()
        {
            // An invitation nobody was told of is no invitation.
            if let Err(error) = self
                .store
                .delete_invites(std::slice::from_ref(&token))
                .await
            {
                tracing::error!(%error, "an unsent invitation not forgotten");
            }
            return Err(bad_request(
                MatrixErrorCode::EmailSendError,
                "The invitation email could not be sent",
            ));
        }
        tracing::info!(room_id = %invite.room_id, sender = %invite.sender, "invitation stored");

        let base = format!("{public_url}{api_base}");
        Ok(types::StoreInviteV2OkBody::new(
            token.into(),
            vec![
                types::PublicKey::new(self.public_key(), format!("{base}/pubkey/isvalid")),
                types::PublicKey::new(ephemeral_public, format!("{base}/pubkey/ephemeral/isvalid")),
            ],
            redacted_address(&address),
        ))
    }

    /// `sign-ed25519`: `{mxid, sender, token}` of a stored invitation, signed with the
    /// ephemeral private key the invitee was emailed.
    pub(super) async fn sign_invite(
        &self,
        mxid: &str,
        token: &str,
        private_key: &str,
    ) -> Result<Value, MatrixError> {
        let invite = self
            .store
            .invite(token)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                error(
                    StatusCode::NOT_FOUND,
                    MatrixErrorCode::Unrecognized,
                    "Didn't recognize token",
                )
            })?;
        let seed = super::decode_key(private_key)
            .ok_or_else(|| MatrixError::invalid_parameter("private_key is not an ed25519 key"))?;
        let mut signed = json!({"mxid": mxid, "sender": invite.sender, "token": invite.token});
        KeyPair::from_seed(KEY_ID, seed)
            .sign(&self.config.server_name, &mut signed)
            .map_err(internal)?;
        Ok(signed)
    }

    /// Posts the invitations pending for a just-bound address to the bound user's
    /// homeserver, in the background, and forgets them once it has them. A homeserver that
    /// cannot be reached gets them at the next bind of the address, until they expire.
    pub(super) async fn deliver_invites(&self, association: &Association) {
        let invites = match self
            .store
            .invites_for(&association.medium, &association.address)
            .await
        {
            Ok(invites) if !invites.is_empty() => invites,
            Ok(_) => return,
            Err(error) => {
                tracing::error!(%error, "pending invitations not read");
                return;
            }
        };
        let Some((_, server)) = association.mxid.split_once(':') else {
            return;
        };
        let (url, trusted) = match self.homeserver(server).await {
            Ok(found) => found,
            Err(_) => {
                tracing::warn!(%server, "invitations not delivered: the homeserver cannot be called");
                return;
            }
        };
        let mut signed_invites = Vec::new();
        for invite in &invites {
            let mut signed = json!({"mxid": association.mxid, "token": invite.token});
            if let Err(error) = self.key.sign(&self.config.server_name, &mut signed) {
                tracing::error!(%error, "invitation not signed");
                return;
            }
            signed_invites.push(json!({
                "medium": invite.medium,
                "address": invite.address,
                "mxid": association.mxid,
                "room_id": invite.room_id,
                "sender": invite.sender,
                "signed": signed,
            }));
        }
        let body = json!({
            "medium": association.medium,
            "address": association.address,
            "mxid": association.mxid,
            "invites": signed_invites,
        });
        let tokens: Vec<String> = invites.into_iter().map(|invite| invite.token).collect();
        let store = self.store.clone();
        let remote = self.remote.clone();
        let server = server.to_owned();
        tokio::spawn(async move {
            match remote.onbind(&url, trusted, &body).await {
                Ok(_) => {
                    if let Err(error) = store.delete_invites(&tokens).await {
                        tracing::error!(%error, "delivered invitations not forgotten");
                    }
                    tracing::info!(%server, count = tokens.len(), "invitations delivered");
                }
                Err(error) => {
                    tracing::warn!(%server, %error, "invitations not delivered; kept for the next bind")
                }
            }
        });
    }
}

/// The template's variables, by Sydent's names: every string field of the request, those
/// a template may use without the request giving them (empty), and what the server adds.
fn invite_variables(
    body: &types::StoreInviteV2Body,
    web_client_location: &str,
    token: String,
    ephemeral_private_key: String,
) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    if let Value::Object(fields) = serde_json::to_value(body).unwrap_or_default() {
        for (name, value) in fields {
            if let Value::String(text) = value {
                variables.insert(name, shortened(&text));
            }
        }
    }
    for optional in [
        "sender_display_name",
        "room_name",
        "bracketed_room_name",
        "room_avatar_url",
        "sender_avatar_url",
        "guest_user_id",
        "guest_access_token",
        "room_type",
    ] {
        variables.entry(optional.to_owned()).or_default();
    }
    let room_name = variables["room_name"].clone();
    if !room_name.is_empty() {
        variables.insert("bracketed_room_name".into(), format!("({room_name}) "));
    }
    variables.insert("bracketed_verified_sender".into(), String::new());
    let web_client = variables
        .remove("org.matrix.web_client_location")
        .unwrap_or_else(|| web_client_location.to_owned());
    variables.insert("web_client_location".into(), web_client);
    let inviter = match variables["sender_display_name"].as_str() {
        "" => variables["sender"].clone(),
        name => name.to_owned(),
    };
    variables.insert(
        "subject_header_value".into(),
        encoded_header(&format!("{inviter} has invited you to chat")),
    );
    variables.insert("token".into(), token);
    variables.insert("ephemeral_private_key".into(), ephemeral_private_key);
    variables
}

fn shortened(text: &str) -> String {
    if text.len() <= MAX_TEMPLATE_VALUE {
        return text.to_owned();
    }
    let mut end = MAX_TEMPLATE_VALUE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A header value from user input: control characters (a CR/LF would start a header of
/// its own) become spaces, and anything but ASCII goes in an RFC 2047 encoded word.
fn encoded_header(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.is_ascii() {
        clean
    } else {
        format!(
            "=?utf-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean)
        )
    }
}

/// The address as the invitation's `display_name` shows it: enough to recognise, too
/// little to learn it (`a...@e...`).
fn redacted_address(address: &str) -> String {
    let first = |part: &str| part.chars().next().map(String::from).unwrap_or_default();
    match address.split_once('@') {
        Some((local, domain)) => format!("{}...@{}...", first(local), first(domain)),
        None => format!("{}...", first(address)),
    }
}

fn to_url_safe(standard: &str) -> String {
    standard.replace('+', "-").replace('/', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_never_shows_the_address() {
        assert_eq!(redacted_address("alice@example.org"), "a...@e...");
        assert_eq!(redacted_address("a@b"), "a...@b...");
    }

    #[test]
    fn header_values_from_requests_cannot_add_headers() {
        assert_eq!(encoded_header("Bob\r\nBcc: x@y"), "Bob  Bcc: x@y");
        assert_eq!(encoded_header("Zoë"), "=?utf-8?b?Wm/Dqw==?=");
    }
}
