//! Mail through an SMTP relay on loopback, secured the ways operators run one: TLS from the
//! first byte, STARTTLS, a login, and what is refused (a relay that does not offer STARTTLS, a
//! certificate no trusted CA signed).

// The HTTPS homeserver of the relay module is for the binary's tests.
#[allow(dead_code)]
mod relay;

use relay::{Authority, Offer};
use server_stub::mail::{Mailer, SmtpRelay};

async fn send(relay: SmtpRelay) -> anyhow::Result<()> {
    server_stub::remote::install_tls_provider();
    Mailer::smtp(&relay)?
        .send_message(
            "Identity <noreply@example.org>",
            "louise@bobs.burgers",
            "To: louise@bobs.burgers\r\nSubject: Hello\r\n\r\nthe link\r\n",
        )
        .await
}

fn relay_at(url: &str) -> SmtpRelay {
    url.parse().unwrap()
}

/// TLS from the first byte, and STARTTLS over the IPv6 literal that a hand-split
/// `host:port` broke on.
#[tokio::test]
async fn the_login_and_the_message_go_over_tls() {
    let authority = Authority::new();
    for (host, offer, url) in [
        ("127.0.0.1", Offer::Tls, "smtps://127.0.0.1"),
        ("::1", Offer::StartTls, "smtp://[::1]"),
    ] {
        let (port, received) = relay::start(host, offer, &authority).await;
        let relay = relay_at(&format!("{url}:{port}"))
            .trusting(authority.ca_pem.clone().into_bytes())
            .unwrap()
            .with_login("alice".into(), "relay-secret".into())
            .unwrap();
        send(relay).await.unwrap();
        let delivery = received.await.unwrap();
        assert!(delivery.encrypted, "{url}");
        assert_eq!(delivery.login.as_deref(), Some("\0alice\0relay-secret"));
        assert!(
            delivery.message.contains("To: louise@bobs.burgers"),
            "{delivery:?}"
        );
        assert!(delivery.message.contains("the link"), "{delivery:?}");
    }
}

#[tokio::test]
async fn smtp_refuses_a_relay_that_does_not_offer_starttls() {
    let authority = Authority::new();
    let (port, received) = relay::start("127.0.0.1", Offer::Plaintext, &authority).await;
    let error = send(relay_at(&format!("smtp://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("STARTTLS"), "{error:#}");
    assert!(received.await.is_err(), "nothing was handed over");
}

#[tokio::test]
async fn tls_none_is_the_operators_opt_out_into_plaintext() {
    let authority = Authority::new();
    let (port, received) = relay::start("127.0.0.1", Offer::Plaintext, &authority).await;
    send(relay_at(&format!("smtp://127.0.0.1:{port}?tls=none")))
        .await
        .unwrap();
    let delivery = received.await.unwrap();
    assert!(!delivery.encrypted);
    assert_eq!(delivery.login, None);
}

#[tokio::test]
async fn a_certificate_no_trusted_ca_signed_is_refused() {
    let authority = Authority::new();
    let stranger = Authority::new().ca_pem.into_bytes();
    // Only the system's roots, then another test CA besides them.
    for (offer, extra_root) in [
        (Offer::Tls, None),
        (Offer::StartTls, None),
        (Offer::Tls, Some(&stranger)),
        (Offer::StartTls, Some(&stranger)),
    ] {
        let (port, received) = relay::start("127.0.0.1", offer, &authority).await;
        let scheme = if offer == Offer::Tls { "smtps" } else { "smtp" };
        let mut relay = relay_at(&format!("{scheme}://127.0.0.1:{port}"));
        if let Some(root) = extra_root {
            relay = relay.trusting(root.clone()).unwrap();
        }
        let error = send(relay).await.unwrap_err();
        assert!(format!("{error:#}").contains("certificate"), "{error:#}");
        assert!(received.await.is_err(), "nothing was handed over");
    }
}
