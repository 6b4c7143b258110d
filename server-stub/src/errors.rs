//! The Matrix errors both servers answer with, built in one place.
//!
//! The generated API has one way to answer an error: a status the operation documents is
//! its response variant, which carries only a [`MatrixErrorBody`] (the variant is the
//! status); anything else is an `Err(MatrixError)`, which carries its own status. Helpers
//! here build the `MatrixError`; `XResponse::from_error` turns one into the documented
//! variant where there is one.

use std::fmt::Display;

use axum::http::StatusCode;
use matrix_api::types::{MatrixError, MatrixErrorCode};

/// An error with its status.
pub fn error(status: StatusCode, code: MatrixErrorCode, message: impl Into<String>) -> MatrixError {
    MatrixError::new(status, code, message)
}

/// 403 `M_FORBIDDEN`.
pub fn forbidden(message: impl Into<String>) -> MatrixError {
    error(StatusCode::FORBIDDEN, MatrixErrorCode::Forbidden, message)
}

/// 400 with `code`.
pub fn bad_request(code: MatrixErrorCode, message: impl Into<String>) -> MatrixError {
    error(StatusCode::BAD_REQUEST, code, message)
}

/// Logs a server-side failure and answers with a generic error: the client learns nothing
/// about the cause, the operator finds it in the log.
pub fn internal(error: impl Display) -> MatrixError {
    tracing::error!(%error, "internal error");
    MatrixError::internal("Internal server error")
}
