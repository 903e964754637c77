//! The frame of every console page: the document head (stylesheet and script from `/assets`, no
//! inline code), a skip link, the navigation of the signed-in officer (what their role may use),
//! the language switch and sign-out forms, and the main area. Also how times and form refusals
//! are shown: times from the desk in their own offset, the branch's times in the branch's local
//! offset, each with its zone (WIB, WITA, WIT).

use chrono::{DateTime, FixedOffset, Local, Utc};
use maud::{html, Markup, DOCTYPE};
use plkk_domain::Issue;

use super::labels;
use super::words::Lang;
use super::Signed;
use crate::officers::ConsoleAction;

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Inbox,
    Clinics,
    Reports,
    Officers,
    Audit,
}

/// A page of a signed-in officer. `here` is the page's path and query (the language switch
/// comes back to it).
pub(crate) fn page(signed: &Signed, nav: Nav, title: &str, here: &str, body: Markup) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    let csrf = signed.session.csrf_token.as_str();
    let entries = [
        (Nav::Inbox, "/", words.nav_inbox, true),
        (Nav::Clinics, "/clinics", words.nav_clinics, true),
        (Nav::Reports, "/reports", words.nav_reports, true),
        (
            Nav::Officers,
            "/officers",
            words.nav_officers,
            signed.may(ConsoleAction::Administer),
        ),
        (
            Nav::Audit,
            "/audit",
            words.nav_audit,
            signed.may(ConsoleAction::Administer),
        ),
    ];
    let header = html! {
        header.top {
            a.brand href="/" { (words.app_name) }
            nav aria-label=(words.app_name) {
                ul {
                    @for (entry, href, label, shown) in entries {
                        @if shown {
                            li {
                                a href=(href) aria-current=[(entry == nav).then_some("page")] { (label) }
                            }
                        }
                    }
                }
            }
            div.who {
                span data-testid="officer" title=(labels::role_label(lang, signed.session.role.as_str())) {
                    (signed.session.display_name)
                }
                (language_form(lang, csrf, here))
                form method="post" action="/sign-out" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" data-testid="sign-out" { (words.sign_out) }
                }
            }
        }
    };
    document(lang, title, header, body)
}

/// A page without the officer's frame: sign-in and error pages.
pub(crate) fn bare_page(lang: Lang, title: &str, body: Markup) -> Markup {
    let header = html! {
        header.top { a.brand href="/" { (lang.words().app_name) } }
    };
    document(lang, title, header, body)
}

fn document(lang: Lang, title: &str, header: Markup, body: Markup) -> Markup {
    let words = lang.words();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (words.app_name) }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { (words.skip_to_content) }
                (header)
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The form that switches to the other language and comes back to `here`.
pub(crate) fn language_form(lang: Lang, csrf: &str, here: &str) -> Markup {
    html! {
        form method="post" action="/language" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="lang" value=(lang.other().code());
            input type="hidden" name="back" value=(here);
            button type="submit" lang=(lang.other().code()) data-testid="language" {
                (lang.words().other_language)
            }
        }
    }
}

/// The page of a failed request (401, 403, 404, 500).
pub(crate) fn message_page(lang: Lang, title: &str, text: &str, sign_in_link: bool) -> Markup {
    let words = lang.words();
    bare_page(
        lang,
        title,
        html! {
            p.message role="alert" { (text) }
            @if sign_in_link {
                p { a.button href="/" { (words.go_sign_in) } }
            }
        },
    )
}

/// A notice after something was saved.
pub(crate) fn notice(text: &str) -> Markup {
    html! { p.notice role="status" data-testid="notice" { (text) } }
}

/// The refusal of a form field, shown under it (`id` links it with `aria-describedby`).
pub(crate) fn field_error(lang: Lang, issue: Option<&Issue>, field: &str) -> Markup {
    match issue.filter(|issue| issue.field == field) {
        None => html! {},
        Some(issue) => html! {
            p.field-error id={ "error-" (field) } data-field=(field) role="alert" {
                (labels::refusal_message(lang, &issue.field, &issue.rule, &issue.params))
            }
        },
    }
}

/// `aria-describedby` for a field with a refusal.
pub(crate) fn described_by(issue: Option<&Issue>, field: &str) -> Option<String> {
    issue
        .filter(|issue| issue.field == field)
        .map(|_| format!("error-{field}"))
}

/// The zone name of an Indonesian offset (WIB, WITA, WIT), else `UTC±hh:mm`.
fn zone(offset: &FixedOffset) -> String {
    match offset.local_minus_utc() {
        25_200 => "WIB".to_owned(),
        28_800 => "WITA".to_owned(),
        32_400 => "WIT".to_owned(),
        0 => "UTC".to_owned(),
        _ => format!("UTC{offset}"),
    }
}

/// A time the desk gave (RFC 3339 with the clinic's offset), shown in that offset.
pub(crate) fn desk_time(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(time) => format!("{} {}", time.format("%d-%m-%Y %H:%M"), zone(time.offset())),
        Err(_) => text.to_owned(),
    }
}

/// A time of the branch's clock (RFC 3339 UTC), shown in the branch's local offset.
pub(crate) fn branch_time(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(time) => {
            let local = time
                .with_timezone(&Utc)
                .with_timezone(&Local)
                .fixed_offset();
            format!(
                "{} {}",
                local.format("%d-%m-%Y %H:%M"),
                zone(local.offset())
            )
        }
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_times_keep_their_zone() {
        assert_eq!(
            desk_time("2026-11-24T08:30:00+07:00"),
            "24-11-2026 08:30 WIB"
        );
        assert_eq!(
            desk_time("2026-11-24T08:30:00+08:00"),
            "24-11-2026 08:30 WITA"
        );
        assert_eq!(
            desk_time("2026-11-24T08:30:00+09:00"),
            "24-11-2026 08:30 WIT"
        );
        assert_eq!(
            desk_time("2026-11-24T08:30:00+05:30"),
            "24-11-2026 08:30 UTC+05:30"
        );
        assert_eq!(desk_time("not a time"), "not a time");
    }
}
