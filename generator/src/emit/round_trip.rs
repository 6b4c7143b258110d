//! `tests/round_trip.rs` of the generated crate: a test per operation serves a scripted
//! implementation of its API's trait on loopback through the generated router, and calls the
//! operation through the generated `Client`, once per documented response and once per
//! security scheme it takes.
//! The server must receive the very request the client sent, with the credential where its
//! scheme puts it, and the client must get back the very response the server answered. The
//! values are samples made from the types: each field present, the first value of an enum,
//! the first variant of a union.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Value, json};

use crate::emit::context::{request_name, response_name};
use crate::emit::part::Part;
use crate::emit::rust_types::{ident, type_tokens};
use crate::ir::{
    Api, CredentialPlace, Encoding, Ir, Operation, ParamLocation, Response, Security,
    SecurityScheme, Status, TypeKind, TypeRef,
};

/// How deep samples go into optional fields, so that recursive types end.
const SAMPLE_DEPTH: usize = 4;

/// Makes the sample values of an operation's cases, and remembers whether any of them is read from
/// JSON by the test's `sample` helper: the helper is emitted, and imported, only where used
/// (an API of operations with no parameters and no bodies needs none).
struct Sampler<'a> {
    ir: &'a Ir,
    root: &'a TokenStream,
    reads_json: std::cell::Cell<bool>,
}

impl<'a> Sampler<'a> {
    fn new(ir: &'a Ir, root: &'a TokenStream) -> Self {
        Sampler {
            ir,
            root,
            reads_json: std::cell::Cell::new(false),
        }
    }

    /// `sample::<T>(json)`, the value of `json` as the Rust type `rust`.
    fn read_json(&self, rust: TokenStream, json: &TokenStream) -> TokenStream {
        self.reads_json.set(true);
        quote!(sample::<#rust>(#json))
    }
}

/// What the file needs decided before any of its parts is made: which operations get a test
/// (those whose values can be sampled, not all of a type of the user's own, so that no test
/// runs without a case), under which name, and whether any case reads a sample from JSON.
struct Plan<'a> {
    /// Each API with a test, and its tested operations with their test names.
    apis: Vec<(&'a Api, Vec<(&'a Operation, String)>)>,
    reads_json: bool,
}

fn plan(ir: &Ir) -> Plan<'_> {
    let operations: Vec<(&Api, &Operation)> = ir
        .apis
        .iter()
        .flat_map(|api| api.operations.iter().map(move |op| (api, op)))
        .collect();
    // The cases are made here only to be looked at (and again, a test at a time, when the
    // tests are made), so this pass runs on every core too.
    let found = crate::parallel::map(&operations, |(api, op)| {
        let root = super::crate_path(ir);
        let sampler = Sampler::new(ir, &root);
        let tested = !cases(&sampler, api, op).is_empty();
        // The scripted server's answer when nothing is scripted (a fuzzer's requests).
        unscripted_answer(&sampler, api, op);
        (tested, sampler.reads_json.get())
    });
    let mut plan = Plan {
        apis: Vec::new(),
        reads_json: false,
    };
    // Test names, across APIs: `{api}_{operation}` of two APIs could meet, and neither may
    // be the server a fuzzer calls.
    let mut test_names = std::collections::BTreeSet::from([SERVE_FOR_FUZZING.to_owned()]);
    for ((api, op), (tested, reads_json)) in operations.into_iter().zip(found) {
        if !tested {
            continue;
        }
        plan.reads_json |= reads_json;
        let name = unique_test_name(&mut test_names, &api.module, &op.name);
        match plan.apis.last_mut() {
            Some((last, tests)) if std::ptr::eq(*last, api) => tests.push((op, name)),
            _ => plan.apis.push((api, vec![(op, name)])),
        }
    }
    plan
}

/// The ignored test that serves every API's scripted server, for a fuzzer to call.
const SERVE_FOR_FUZZING: &str = "serve_for_fuzzing";

/// The test file's parts, when any operation is tested: the shared part, the server for a
/// fuzzer, then per API a module serving a scripted implementation and a test per
/// operation.
pub(super) fn parts(ir: &Ir) -> Option<Vec<Part<'_>>> {
    let plan = plan(ir);
    if plan.apis.is_empty() {
        return None;
    }
    let reads_json = plan.reads_json;
    let modules: Vec<&Api> = plan.apis.iter().map(|(api, _)| *api).collect();
    let mut parts = vec![
        Part::rust(move || shared(reads_json)),
        Part::rust(move || serve_for_fuzzing(&modules)),
    ];
    for (api, tests) in plan.apis {
        let feature = vec![api.feature()];
        parts.push(Part::gated(feature.clone(), move || {
            Ok(scripted_server(ir, api))
        }));
        parts.extend(tests.into_iter().map(|(op, name)| {
            Part::gated(feature.clone(), move || {
                Ok(operation_test(ir, api, op, &name))
            })
        }));
    }
    Some(parts)
}

/// What every test shares: the script, loopback serving, and the `sample` helper where a
/// case reads JSON.
fn shared(reads_json: bool) -> TokenStream {
    let sample_fn = reads_json.then(|| {
        quote! {
            #[rustfmt::skip]
            fn sample<T: ::serde::de::DeserializeOwned>(json: &str) -> T {
                ::serde_json::from_str(json).unwrap_or_else(|e| panic!("sample {json} does not fit {}: {e}", ::std::any::type_name::<T>()))
            }
        }
    });
    let secret_sample = SECRET_SAMPLE;
    quote! {
        //! Every operation, through the generated client and the generated router: the
        //! server receives the request the client sent, the client gets the response the
        //! server answered. Needs the routers and a transport (`axum`, on by default, and
        //! `reqwest`): `cargo test --features reqwest`.
        #![cfg(all(feature = "axum", feature = "reqwest"))]

        use ::std::sync::Mutex;

        /// The value every secret (password, token) of the samples holds: it must go over
        /// the wire, and never show in a `Debug` of a request or a response.
        const SECRET: &str = #secret_sample;

        // `rustfmt::skip` on every item: the layout is prettyplease's, and
        // `cargo xtask codegen --check` compares bytes.

        /// What the scripted servers received, and what they answer next.
        #[derive(Default)]
        #[rustfmt::skip]
        struct Script {
            received: Mutex<Vec<(String, Box<dyn ::std::any::Any + Send>)>>,
            answers: Mutex<Vec<Box<dyn ::std::any::Any + Send>>>,
        }

        #[rustfmt::skip]
        impl Script {
            /// Records a request and who sent it; the answer scripted for it. With nothing
            /// scripted (a fuzzer's requests), `unscripted` answers and nothing is kept.
            fn answer<R: 'static>(
                &self,
                caller: String,
                request: impl ::std::any::Any + Send,
                unscripted: impl FnOnce() -> R,
            ) -> R {
                let Some(answer) = self.answers.lock().unwrap().pop() else {
                    return unscripted();
                };
                self.received.lock().unwrap().push((caller, Box::new(request)));
                *answer.downcast::<R>().expect("the scripted answer is this operation's")
            }

            /// One case: the client's `call` sending `request` must reach the server as
            /// `request`, from `caller`, and bring back `answer`, which the server is
            /// scripted to answer.
            async fn check<Q, R, E>(
                &self,
                label: &str,
                caller: String,
                request: &Q,
                answer: R,
                call: impl ::std::future::Future<Output = Result<R, E>>,
            ) where
                Q: PartialEq + ::std::fmt::Debug + 'static,
                R: Clone + PartialEq + ::std::fmt::Debug + Send + 'static,
                E: ::std::fmt::Display,
            {
                self.answers.lock().unwrap().push(Box::new(answer.clone()));
                let got = call.await.unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(got, answer, "{label}: the answer");
                for shown in [format!("{request:?}"), format!("{got:?}")] {
                    assert!(!shown.contains(SECRET), "{label}: `Debug` shows a secret: {shown}");
                }
                let (sender, received) = self.received.lock().unwrap().pop().expect("a request was received");
                let received: Box<Q> = received.downcast().expect("the request of this operation");
                assert_eq!(received.as_ref(), request, "{label}: the request");
                assert_eq!(sender, caller, "{label}: the caller");
            }
        }

        /// Serves `router` on a loopback port: its URL.
        #[rustfmt::skip]
        async fn serve(router: ::axum::Router) -> String {
            let listener = ::tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            ::tokio::spawn(async move { ::axum::serve(listener, router).await.unwrap() });
            url
        }

        #sample_fn
    }
}

/// The module of an API's scripted server.
fn scripted_server(ir: &Ir, api: &Api) -> TokenStream {
    let root = &super::crate_path(ir);
    let module = ident(&api.module);
    let trait_ident = ident(&api.trait_name);
    let error = {
        let name = ident(&ir.error.type_name);
        quote!(#root::types::#name)
    };
    let has_credentials = !api.security_schemes.is_empty();
    let auth = has_credentials.then(|| {
        quote! {
            type Caller = String;

            async fn authenticate(&self, credential: #root::#module::Credential) -> Result<String, #error> {
                Ok(format!("{credential:?}"))
            }
        }
    });
    let sampler = Sampler::new(ir, root);
    let methods: Vec<TokenStream> = api.operations.iter().map(|op| {
        let unscripted = unscripted_answer(&sampler, api, op);
        let method = ident(&op.name);
        let request = request_name(op);
        let response = response_name(op);
        let (caller, recorded) = match op.security {
            Security::None => (None, quote!(String::new())),
            Security::Required(_) => (Some(quote!(caller: String,)), quote!(caller)),
            Security::Optional(_) => (
                Some(quote!(caller: Option<Result<String, #error>>,)),
                quote!(caller.map(|c| c.expect("the credential is accepted")).unwrap_or_default()),
            ),
        };
        let allow = op.deprecated.then(|| quote!(#[allow(deprecated)]));
        quote! {
            #allow
            async fn #method(&self, #caller request: #root::#module::#request) -> Result<#root::#module::#response, #error> {
                Ok(self.0.answer(#recorded, request, #unscripted))
            }
        }
    }).collect();
    let sample = sampler.reads_json.get().then(|| {
        quote!(
            use super::sample;
        )
    });
    quote! {
        #[rustfmt::skip]
        mod #module {
            use super::{Script, serve};
            #sample
            use ::std::sync::Arc;

            struct Scripted(Arc<Script>);

            impl #root::#module::#trait_ident for Scripted {
                #auth
                #(#methods)*
            }

            /// Serves a scripted implementation at `address` until the process ends.
            pub(super) async fn serve_at(address: ::std::net::SocketAddr) {
                let listener = ::tokio::net::TcpListener::bind(address).await.unwrap();
                let router = #root::#module::router(Arc::new(Scripted(Arc::new(Script::default()))));
                ::axum::serve(listener, router).await.unwrap();
            }

            /// A scripted implementation served on loopback: its script, and where to send.
            pub(super) async fn scripted() -> (Arc<Script>, #root::outgoing::BaseUrl) {
                // Loopback needs no TLS, but a reqwest built with `rustls-no-provider` wants
                // a provider installed before any client is made.
                let _ = ::rustls::crypto::ring::default_provider().install_default();
                let script = Arc::new(Script::default());
                let url = serve(#root::#module::router(Arc::new(Scripted(script.clone())))).await;
                (script, #root::outgoing::BaseUrl::new(url))
            }
        }
    }
}

/// The answer of a scripted method with nothing scripted: its first documented response, of
/// sample values; a fuzzer's requests get it. An operation whose first response cannot be
/// sampled (a type of the user's own) has none to give.
fn unscripted_answer(sampler: &Sampler, api: &Api, op: &Operation) -> TokenStream {
    let first = op.responses.first();
    match first.and_then(|response| response_value(sampler, api, op, response, 0)) {
        Some(answer) => quote!(|| #answer),
        None => quote!(|| panic!("nothing is scripted, and no answer can be sampled")),
    }
}

/// An ignored test that serves every API's scripted server, the first at
/// `SCRIPTED_SERVERS_PORT` (on loopback), each next API on the next port, until the process
/// is ended: what `tests/spec-trees/fuzz.sh` fuzzes.
fn serve_for_fuzzing(apis: &[&Api]) -> TokenStream {
    let name = ident(SERVE_FOR_FUZZING);
    let servers = apis.iter().enumerate().map(|(i, api)| {
        let module = ident(&api.module);
        let port = match i as u16 {
            0 => quote!(first),
            offset => quote!(first + #offset),
        };
        let feature = api.feature();
        quote! {
            #[cfg(feature = #feature)]
            servers.push(::tokio::spawn(#module::serve_at(::std::net::SocketAddr::from(([127, 0, 0, 1], #port)))));
        }
    });
    quote! {
        /// Serves every API's scripted server for a fuzzer, the first on loopback at port
        /// `SCRIPTED_SERVERS_PORT` and each next one on the next port, until it is ended.
        #[::tokio::test]
        #[ignore = "a server, not a test: run by a fuzzing script"]
        #[rustfmt::skip]
        async fn #name() {
            let first: u16 = ::std::env::var("SCRIPTED_SERVERS_PORT")
                .expect("SCRIPTED_SERVERS_PORT names the first port")
                .parse()
                .expect("SCRIPTED_SERVERS_PORT is a port");
            let mut servers = ::std::vec::Vec::new();
            #(#servers)*
            for server in servers {
                server.await.unwrap();
            }
        }
    }
}

/// An operation's test, against a server of its own: a failure names the operation.
fn operation_test(ir: &Ir, api: &Api, op: &Operation, name: &str) -> TokenStream {
    let root = super::crate_path(ir);
    let sampler = Sampler::new(ir, &root);
    let cases = cases(&sampler, api, op);
    let module = ident(&api.module);
    let test = ident(name);
    let allow = op.deprecated.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #[::tokio::test]
        #[rustfmt::skip]
        #allow
        async fn #test() {
            let (script, endpoint) = #module::scripted().await;
            #(#cases)*
        }
    }
}

/// `{api}_{operation}`, with `_` appended until no earlier test has it: the names of two
/// APIs can meet (`a_b` + `c`, `a` + `b_c`).
fn unique_test_name(
    taken: &mut std::collections::BTreeSet<String>,
    module: &str,
    operation: &str,
) -> String {
    let mut name = format!("{module}_{operation}");
    while !taken.insert(name.clone()) {
        name.push('_');
    }
    name
}

/// One block per response the operation documents and per media type of its body (with
/// its first scheme's credential), one per further scheme it takes (with its first
/// response), and one per further media type of its request body.
fn cases(sampler: &Sampler, api: &Api, op: &Operation) -> Vec<TokenStream> {
    // Samples made for an operation that gets no case are not in the test.
    let read_before = sampler.reads_json.get();
    let cases = operation_cases(sampler, api, op);
    if cases.is_empty() {
        sampler.reads_json.set(read_before);
    }
    cases
}

fn operation_cases(sampler: &Sampler, api: &Api, op: &Operation) -> Vec<TokenStream> {
    let ir = sampler.ir;
    let Some(request) = request_value(sampler, api, op, 0) else {
        return Vec::new();
    };
    let schemes: Vec<Option<&SecurityScheme>> = match &op.security {
        Security::None => vec![None],
        Security::Required(names) | Security::Optional(names) => {
            let taken: Vec<&SecurityScheme> = names
                .iter()
                .filter_map(|name| api.security_schemes.iter().find(|s| &s.name == name))
                .collect();
            // A scheme read where an earlier one of the operation reads too (two schemes in
            // `Authorization`) is taken for the earlier one: the spec cannot tell them apart,
            // so neither can a server.
            let mut read: Vec<Slot> = Vec::new();
            let mut distinct = Vec::new();
            for scheme in taken {
                if !read.contains(&Slot::of(&scheme.places.sent)) {
                    distinct.push(Some(scheme));
                }
                read.extend(scheme.places.read.iter().map(Slot::of));
            }
            distinct
        }
    };
    let first_scheme = &schemes[..1.min(schemes.len())];
    let mut out = Vec::new();
    for (index, response) in op.responses.iter().enumerate() {
        // Each media type of the body, when it comes in several.
        for variant in 0..media_variants(ir, response.ty.as_ref()) {
            let Some(answer) = response_value(sampler, api, op, response, variant) else {
                continue;
            };
            let choices = if index == 0 && variant == 0 {
                &schemes
            } else {
                first_scheme
            };
            for scheme in choices {
                out.push(case(sampler, api, op, response, *scheme, &request, &answer));
            }
        }
    }
    // Each further media type of the request body, with the first response.
    let request_variants = media_variants(ir, op.body.as_ref().map(|b| &b.ty));
    if let Some(response) = op.responses.first() {
        for variant in 1..request_variants {
            let request = request_value(sampler, api, op, variant);
            let answer = response_value(sampler, api, op, response, 0);
            if let (Some(request), Some(answer)) = (request, answer) {
                for scheme in first_scheme {
                    out.push(case(sampler, api, op, response, *scheme, &request, &answer));
                }
            }
        }
    }
    out
}

/// How many media variants a body has: one unless it is a body in several media types.
fn media_variants(ir: &Ir, ty: Option<&TypeRef>) -> usize {
    let inner = match ty {
        Some(TypeRef::Boxed(inner)) => inner.as_ref(),
        Some(other) => other,
        None => return 1,
    };
    match ir.named(inner).map(|def| &def.kind) {
        Some(TypeKind::Media { variants }) => variants.len().max(1),
        _ => 1,
    }
}

/// The part of a request a credential place takes: `Authorization` is one header whatever
/// the scheme, and header names have no case.
#[derive(PartialEq)]
enum Slot {
    Query(String),
    Header(String),
    Cookie(String),
}

impl Slot {
    fn of(place: &CredentialPlace) -> Slot {
        match place {
            CredentialPlace::Query(name) => Slot::Query(name.clone()),
            CredentialPlace::Header(name) => Slot::Header(name.to_ascii_lowercase()),
            CredentialPlace::Cookie(name) => Slot::Cookie(name.clone()),
            CredentialPlace::Authorization(_) => Slot::Header("authorization".into()),
        }
    }
}

fn case(
    sampler: &Sampler,
    api: &Api,
    op: &Operation,
    response: &Response,
    scheme: Option<&SecurityScheme>,
    request: &TokenStream,
    answer: &TokenStream,
) -> TokenStream {
    let root = sampler.root;
    let module = ident(&api.module);
    let method = ident(&op.names.client_method);
    let (client, caller) = match scheme {
        Some(scheme) => {
            let variant = ident(&scheme.variant);
            (
                quote! {
                    let credential = #root::#module::Credential::#variant("s3cr3t-token".into());
                    let client = #root::#module::Client::new(endpoint.clone()).with_credential(credential.clone());
                },
                quote!(format!("{credential:?}")),
            )
        }
        None => (
            quote!(let client = #root::#module::Client::new(endpoint.clone());),
            quote!(String::new()),
        ),
    };
    let framed = content_length_fix(sampler, api, op);
    let label = format!(
        "{} {} answering {} ({})",
        op.method,
        op.path,
        response.variant,
        scheme.map_or("no credential", |s| s.name.as_str())
    );
    quote! {
        {
            #client
            let request = #request;
            #framed
            script.check(#label, #caller, &request, #answer, client.#method(&request)).await;
        }
    }
}

/// A `Content-Length` parameter is what the transport sends: the server receives the body's
/// length, whatever the sample said.
fn content_length_fix(sampler: &Sampler, api: &Api, op: &Operation) -> Option<TokenStream> {
    let parameter = op.parameters.iter().find(|p| {
        p.location == ParamLocation::Header && p.name.eq_ignore_ascii_case("content-length")
    })?;
    let field = ident(&parameter.field);
    let credential = (!api.security_schemes.is_empty()).then(|| quote!(, None));
    let length = match parameter.ty {
        TypeRef::String { .. } => quote!(format!("\"{}\"", sent.body().len())),
        _ => quote!(sent.body().len().to_string()),
    };
    sampler.reads_json.set(true);
    Some(quote! {
        let request = {
            let mut request = request;
            let sent = request.to_http(&endpoint #credential).unwrap();
            request.#field = sample(&#length);
            request
        };
    })
}

/// The request, every parameter and the body given; `None` when a value cannot be sampled.
fn request_value(
    sampler: &Sampler,
    api: &Api,
    op: &Operation,
    media_variant: usize,
) -> Option<TokenStream> {
    let (ir, root) = (sampler.ir, sampler.root);
    let module = ident(&api.module);
    let name = request_name(op);
    let mut fields = Vec::new();
    for parameter in &op.parameters {
        let field = ident(&parameter.field);
        // A `Content-Type` header names the body's media type, and goes out in its place:
        // the sample is the media type the body's own sample names.
        let names_media_type = parameter.location == crate::ir::ParamLocation::Header
            && parameter.name.eq_ignore_ascii_case("content-type")
            && matches!(parameter.ty, TypeRef::String { .. });
        let value = if names_media_type {
            quote!(String::from("application/x-sample"))
        } else {
            sampled(sampler, &parameter.ty, 0)?
        };
        let (_, default) = crate::emit::context::parameter_type(ir, parameter, root);
        let value = if parameter.required || default.is_some() {
            value
        } else {
            quote!(Some(#value))
        };
        fields.push(quote!(#field: #value,));
    }
    if let Some(body) = &op.body {
        let value = sampled(sampler, &body.ty, media_variant)?;
        let value = if op.transport.body.is_some_and(|b| b.required()) {
            value
        } else {
            quote!(Some(#value))
        };
        fields.push(quote!(body: #value,));
    }
    Some(quote!(#root::#module::#name { #(#fields)* }))
}

/// The response value for one documented response, at a status it stands for.
fn response_value(
    sampler: &Sampler,
    api: &Api,
    op: &Operation,
    response: &Response,
    media_variant: usize,
) -> Option<TokenStream> {
    let root = sampler.root;
    let module = ident(&api.module);
    let name = response_name(op);
    let variant = ident(&response.variant);
    let status = match response.status {
        Status::Code(_) => None,
        Status::Range(class) => Some(free_status(op, class * 100..class * 100 + 100)),
        Status::Default => Some(free_status(op, 100..600)),
    };
    let status = status.map(|code| quote!(::http::StatusCode::from_u16(#code).unwrap()));
    let body = match &response.ty {
        Some(ty) => Some(sampled(sampler, ty, media_variant)?),
        None => None,
    };
    let fields = match (status, body) {
        (None, None) => quote!(),
        (None, Some(body)) => quote!((#body)),
        (Some(status), None) => quote!((#status)),
        (Some(status), Some(body)) => quote!((#status, #body)),
    };
    Some(quote!(#root::#module::#name::#variant #fields))
}

/// A status in `range` that the operation does not document exactly, and that may carry a
/// body (not 1xx, 204, 205 or 304).
fn free_status(op: &Operation, range: std::ops::Range<u16>) -> u16 {
    let documented = |code: u16| op.responses.iter().any(|r| r.status == Status::Code(code));
    let bodiless = |code: u16| code < 200 || matches!(code, 204 | 205 | 304);
    range
        .clone()
        .find(|code| !documented(*code) && !bodiless(*code) && *code != 200 && *code != 201)
        .or_else(|| {
            range
                .clone()
                .find(|code| !documented(*code) && !bodiless(*code))
        })
        .unwrap_or(599)
}

/// A Rust expression of type `ty`: from sample JSON, or for a body in several media types,
/// its variant `media_variant`.
fn sampled(sampler: &Sampler, ty: &TypeRef, media_variant: usize) -> Option<TokenStream> {
    let (ir, root) = (sampler.ir, sampler.root);
    let (boxed, inner) = match ty {
        TypeRef::Boxed(inner) => (true, inner.as_ref()),
        other => (false, other),
    };
    if let Some(def) = ir.named(inner)
        && let TypeKind::Media { variants } = &def.kind
    {
        let chosen = variants.get(media_variant)?;
        let variant = ident(&chosen.name);
        let name = ident(&def.name);
        let value = match chosen.encoding {
            Encoding::Binary => quote!(vec![0u8, 1, 2, 255]),
            // A type the documented one covers, yet not the documented text itself: the
            // type the sender names must come through.
            Encoding::Blob => {
                let content_type = match chosen.content_type.split_once("/*") {
                    Some((kind, _)) if kind != "*" => format!("{kind}/x-sample"),
                    _ => "application/x-sample".to_owned(),
                };
                quote!(#root::media::Blob::new(#content_type, vec![0u8, 1, 2, 255]))
            }
            Encoding::Text => quote!(String::from("some text")),
            Encoding::Json | Encoding::Form => {
                let rust = type_tokens(ir, &chosen.ty, root);
                let json = sample_json(ir, &chosen.ty, 0)?.to_string();
                sampler.read_json(rust, &quote!(#json))
            }
        };
        let value = quote!(#root::types::#name::#variant(#value));
        return Some(if boxed {
            quote!(Box::new(#value))
        } else {
            value
        });
    }
    let rust = type_tokens(ir, ty, root);
    let json = sample_json(ir, ty, 0)?.to_string();
    Some(sampler.read_json(rust, &quote!(#json)))
}

/// What the samples' secrets hold (`SECRET` in the test).
const SECRET_SAMPLE: &str = "sample-secret-0f3c9a";

/// A JSON value of type `ty`; `None` for a type of the user's own (nothing says its shape).
fn sample_json(ir: &Ir, ty: &TypeRef, depth: usize) -> Option<Value> {
    Some(match ty {
        TypeRef::String { secret: true, .. } => json!(SECRET_SAMPLE),
        TypeRef::String { .. } => json!("some text"),
        TypeRef::Integer { .. } => json!(7),
        TypeRef::Number { .. } => json!(1.5),
        TypeRef::Boolean => json!(true),
        TypeRef::Bytes => json!([0, 1, 2]),
        TypeRef::Blob => return None,
        TypeRef::Array(_) if depth > SAMPLE_DEPTH => json!([]),
        TypeRef::Array(item) => json!([sample_json(ir, item, depth + 1)?]),
        TypeRef::Tuple(items) => Value::Array(
            items
                .iter()
                .map(|item| sample_json(ir, item, depth + 1))
                .collect::<Option<_>>()?,
        ),
        TypeRef::Map { .. } if depth > SAMPLE_DEPTH => json!({}),
        TypeRef::Map { key, value } => {
            let key = match key {
                Some(key) => sample_json(ir, &TypeRef::Named(*key), depth)?
                    .as_str()?
                    .to_owned(),
                None => "some key".to_owned(),
            };
            let mut map = serde_json::Map::new();
            map.insert(key, sample_json(ir, value, depth + 1)?);
            Value::Object(map)
        }
        TypeRef::Object => json!({"some key": [1, "two"]}),
        TypeRef::Any => json!({"any": ["value", 1]}),
        TypeRef::External(_) => return None,
        TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => sample_json(ir, inner, depth)?,
        TypeRef::Named(id) => {
            let def = ir.type_def(*id);
            match &def.kind {
                TypeKind::Struct {
                    fields, additional, ..
                } => {
                    let mut object = serde_json::Map::new();
                    for field in fields {
                        if !field.required && depth > SAMPLE_DEPTH {
                            continue;
                        }
                        object.insert(field.name.clone(), sample_json(ir, &field.ty, depth + 1)?);
                    }
                    if let Some(additional) = additional
                        && depth <= SAMPLE_DEPTH
                    {
                        let key = unused_key(&object);
                        object.insert(key, sample_json(ir, additional, depth + 1)?);
                    }
                    Value::Object(object)
                }
                TypeKind::Enum {
                    variants, integer, ..
                } => match variants.first() {
                    Some(first) if *integer => {
                        Value::Number(first.value.parse::<i64>().ok()?.into())
                    }
                    Some(first) => Value::String(first.value.clone()),
                    None => json!("some value"),
                },
                TypeKind::Alias { target } => sample_json(ir, target, depth)?,
                TypeKind::Union { variants, tag, .. } => {
                    let chosen = match tag {
                        Some(_) => variants.iter().find(|v| !v.tag_values.is_empty())?,
                        None => variants.first()?,
                    };
                    let mut value = sample_json(ir, &chosen.ty, depth + 1)?;
                    if let (Some(tag), Value::Object(object)) = (tag, &mut value) {
                        object.insert(tag.clone(), Value::String(chosen.tag_values[0].clone()));
                    }
                    value
                }
                TypeKind::Validated { example, .. } => Value::String(example.clone()),
                TypeKind::Media { .. } => return None,
            }
        }
    })
}

/// A key for an extra property that no declared field has.
fn unused_key(object: &serde_json::Map<String, Value>) -> String {
    let mut key = String::from("extra");
    while object.contains_key(&key) {
        key.push('_');
    }
    key
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_names_stay_unique_when_two_apis_meet() {
        let mut taken = std::collections::BTreeSet::new();
        let names = [("a_b", "c"), ("a", "b_c"), ("a_b_c", "x"), ("a", "b_c")]
            .map(|(module, operation)| super::unique_test_name(&mut taken, module, operation));
        assert_eq!(names, ["a_b_c", "a_b_c_", "a_b_c_x", "a_b_c__"]);
    }
}
