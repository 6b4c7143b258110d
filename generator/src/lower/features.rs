//! The Cargo features that build each operation. Every API has a feature of its own; one
//! whose config sets `tag_features` has one per tag of its operations too, so that a user of
//! a large API (the client-server API has some thirty tags) builds only the parts it calls.
//! The API's own feature enables all of its tags', and builds its untagged operations.
//!
//! Operations that share a route are served by one dispatcher, which tries each of them:
//! they build together, with any of their tags.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::error::{Error, Location, Result};
use crate::ir::{Api, Ir, TagFeature};

/// Fills `Api::tag_features`, `Operation::features` and `Ir::features`.
pub(super) fn decide(ir: &mut Ir, config: &Config) -> Result<()> {
    let api_features: BTreeSet<String> = ir.apis.iter().map(Api::feature).collect();
    for (api, api_config) in ir.apis.iter_mut().zip(&config.apis) {
        if api_config.tag_features {
            tag_features(api, &api_features, &config.path)?;
        } else {
            let feature = api.feature();
            for op in &mut api.operations {
                op.features = vec![feature.clone()];
            }
        }
    }
    ir.features = ir
        .apis
        .iter()
        .flat_map(|api| {
            std::iter::once(api.feature()).chain(api.tag_features.iter().map(|t| t.name.clone()))
        })
        .collect();
    Ok(())
}

/// A feature per tag, in the order the operations first use them; each operation's are
/// its tags' and those of every operation it shares a route with.
fn tag_features(api: &mut Api, api_features: &BTreeSet<String>, config: &str) -> Result<()> {
    let prefix = api.feature();
    for op in &api.operations {
        for tag in &op.tags {
            let name = format!("{prefix}-{}", kebab(tag));
            if name.ends_with('-') {
                return Err(Error::invalid(
                    op.source.clone(),
                    format!("tag `{tag}` has no letter or digit to name a Cargo feature after"),
                ));
            }
            if api_features.contains(&name) {
                return Err(Error::invalid(
                    Location::new(config, "/api"),
                    format!(
                        "the feature of tag `{tag}` of API `{}` would be `{name}`, the feature \
                         of another API: rename one of the APIs, or set no `tag_features`",
                        api.name
                    ),
                ));
            }
            if !api.tag_features.iter().any(|t| t.name == name) {
                api.tag_features.push(TagFeature {
                    name,
                    tag: tag.clone(),
                });
            }
        }
    }
    let own: Vec<Vec<String>> = api
        .operations
        .iter()
        .map(|op| match op.tags.is_empty() {
            true => vec![prefix.clone()],
            false => op
                .tags
                .iter()
                .map(|tag| format!("{prefix}-{}", kebab(tag)))
                .collect(),
        })
        .collect();
    let groups = served_together(api);
    // In the crate's order of features: the API's own, then its tags' in first use.
    let order: Vec<&str> = std::iter::once(prefix.as_str())
        .chain(api.tag_features.iter().map(|t| t.name.as_str()))
        .collect();
    for (index, op) in api.operations.iter_mut().enumerate() {
        let wanted: BTreeSet<&str> = groups[index]
            .iter()
            .flat_map(|&member| own[member].iter().map(String::as_str))
            .collect();
        op.features = order
            .iter()
            .filter(|f| wanted.contains(*f))
            .map(|f| f.to_string())
            .collect();
    }
    Ok(())
}

/// Per operation, the operations it is served with (itself included): those linked to it
/// through routes that several operations share.
fn served_together(api: &Api) -> Vec<BTreeSet<usize>> {
    let count = api.operations.len();
    let mut group: Vec<usize> = (0..count).collect();
    fn root(group: &mut [usize], mut index: usize) -> usize {
        while group[index] != index {
            group[index] = group[group[index]];
            index = group[index];
        }
        index
    }
    for route in &api.routes {
        for pair in route.operations.windows(2) {
            let (a, b) = (root(&mut group, pair[0]), root(&mut group, pair[1]));
            group[a.max(b)] = a.min(b);
        }
    }
    let roots: Vec<usize> = (0..count).map(|i| root(&mut group, i)).collect();
    roots
        .iter()
        .map(|r| (0..count).filter(|&j| roots[j] == *r).collect())
        .collect()
}

/// A tag as a Cargo feature's part: lower case ASCII letters and digits, each run of
/// anything else one `-` ("Send-to-Device messaging" → `send-to-device-messaging`).
fn kebab(tag: &str) -> String {
    let mut out = String::new();
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::kebab;
    use crate::testing::ir_of_files;

    #[test]
    fn tags_become_kebab_case_feature_names() {
        assert_eq!(
            kebab("Send-to-Device messaging"),
            "send-to-device-messaging"
        );
        assert_eq!(kebab("VOIP"), "voip");
        assert_eq!(kebab("  Room  upgrades! "), "room-upgrades");
        assert_eq!(kebab("???"), "");
    }

    fn op(method: &str, id: &str, tags: &str) -> String {
        format!(
            "    {method}:\n      operationId: {id}\n      tags: [{tags}]\n      responses:\n        '200': {{description: ok}}\n"
        )
    }

    #[test]
    fn an_operation_builds_with_its_tags_and_those_it_shares_a_route_with() {
        let spec = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /login:\n{}{}  /logout:\n{}  /untagged:\n    get:\n      operationId: untagged\n      responses:\n        '200': {{description: ok}}\n  /events:\n{}  '/events ':\n{}",
            op("get", "getLoginFlows", "Session management"),
            op("post", "login", "Session management, User data"),
            op("post", "logout", "Session management"),
            op("get", "getEvents", "Room participation"),
            op("get", "peekEvents", "Room peeking"),
        );
        let ir = ir_of_files(&[("first", &spec)], &[], "tag_features = true\n");
        let api = &ir.apis[0];
        let names: Vec<&str> = api.tag_features.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "first-session-management",
                "first-user-data",
                "first-room-participation",
                "first-room-peeking"
            ]
        );
        let features = |name: &str| {
            let op = api.operations.iter().find(|op| op.name == name).unwrap();
            op.features.clone()
        };
        assert_eq!(
            features("login"),
            ["first-session-management", "first-user-data"]
        );
        assert_eq!(features("untagged"), ["first"]);
        // `/events` and `/events ` are one route: its operations build together.
        let events = ["first-room-participation", "first-room-peeking"];
        assert_eq!(features("get_events"), events);
        assert_eq!(features("peek_events"), events);
        assert_eq!(ir.features[0], "first");
        assert_eq!(ir.features.len(), 5);
    }

    #[test]
    #[should_panic(
        expected = "the feature of tag `Second` of API `first` would be `first-second`, the feature of another API"
    )]
    fn a_tag_feature_may_not_be_another_apis_feature() {
        let tagged = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n{}",
            op("get", "a", "Second")
        );
        let plain = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /b:\n{}",
            op("get", "b", "Second")
        );
        // The config's last line goes to the last API: `first`.
        ir_of_files(
            &[("first_second", &plain), ("first", &tagged)],
            &[],
            "tag_features = true\n",
        );
    }

    #[test]
    #[should_panic(expected = "tag `???` has no letter or digit to name a Cargo feature after")]
    fn a_tag_needs_a_letter_or_digit() {
        let spec = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n{}",
            op("get", "a", "'???'")
        );
        ir_of_files(&[("first", &spec)], &[], "tag_features = true\n");
    }

    #[test]
    fn without_tag_features_an_operation_builds_with_its_api() {
        let spec = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /login:\n{}",
            op("post", "login", "Session management")
        );
        let ir = ir_of_files(&[("first", &spec)], &[], "");
        assert!(ir.apis[0].tag_features.is_empty());
        assert_eq!(ir.apis[0].operations[0].features, ["first"]);
        assert_eq!(ir.features, ["first"]);
    }
}
