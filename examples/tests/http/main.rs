//! The black-box HTTP suite: starts each example server as a real process on a free
//! loopback port and drives it only through HTTP. Every case runs against both
//! servers; a difference in behaviour between them is a failing test. `browser` drives
//! the same servers' pages in headless Chromium. `slow_clients`, `shutdown`,
//! `db_faults`, `smtp` and the vault's configuration cases of `credentials` start
//! servers of their own, with the settings and faults they need (`smtp` with a real
//! SMTP server beside them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code
)]

mod browser;
mod cases;
mod client;
mod conversation;
mod credentials;
mod db_faults;
mod documents;
mod evidence;
mod forwarder;
mod hostile;
mod postgres;
mod preview;
mod s3;
mod server;
mod shutdown;
mod slow_clients;
mod smtp;
mod staff_tasks;

use server::{Db, Scheme, Server};

macro_rules! suite {
    ($name:ident, $bin:literal, $db:expr, $scheme:expr) => {
        mod $name {
            use super::*;
            suite!(@cases $bin, $db, $scheme;
                magic_link_logs_in_and_lands_in_the_portal,
                link_is_single_use_under_20_concurrent_posts,
                get_and_head_consume_nothing,
                older_link_is_refused,
                used_link_offers_the_code_from_the_same_email,
                unknown_addresses_get_the_same_answer,
                host_header_is_ignored_in_links,
                next_targets_stay_inside_the_portal,
                cross_site_posts_are_refused_with_no_effect,
                csrf_token_is_required_for_authenticated_posts,
                login_rotates_the_session_and_defeats_fixation,
                logout_ends_the_session,
                staff_revocation_takes_effect_at_the_next_request,
                email_codes_log_in_within_their_limits,
                throttling_counts_address_variants_together,
                malformed_tokens_and_ids_answer_4xx,
                oversized_bodies_get_413_and_change_nothing,
                cookies_carry_every_attribute,
                security_headers_are_set,
                other_clients_ids_answer_404,
                personal_link_identifies_without_logging_in,
                password_set_through_a_link_then_used,
                staff_api_manages_contacts,
                staff_set_and_clear_a_contact_s_phone,
                staff_api_answers_every_path_below_its_mount,
                tasks_are_listed_and_completed_within_the_grant,
                host_handlers_see_the_session_through_the_extractor,
                hostile_text_is_refused_with_nothing_stored,
                staff_json_is_strict_and_names_the_field,
                mass_assignment_is_refused_or_ignored,
                malformed_queries_and_doubled_slashes_are_refused,
                link_confirmation_names_the_masked_address,
                log_and_audit_injection_stays_data,
                each_evidence_type_is_submitted_over_json,
                each_evidence_type_is_submitted_over_html_forms,
                every_client_route_answers_each_caller_as_its_grant_allows,
                hostile_evidence_input_is_refused_with_nothing_stored,
                the_meeting_invitation_is_read_by_a_real_calendar_parser,
                demo_engagement_has_every_evidence_type_by_phase,
                staff_create_edit_reorder_and_withdraw_tasks_of_every_type,
                staff_set_statuses_complete_the_firms_tasks_and_check_items,
                staff_manage_phases,
                staff_task_routes_refuse_bad_input_and_foreign_ids,
                staff_preview_is_read_only_single_use_and_no_login,
                documents_go_from_request_to_approval_over_http,
                a_withdrawn_upload_is_gone_everywhere,
                hostile_uploads_are_refused_with_nothing_stored,
                signatures_and_publications_over_http,
                an_upload_that_lies_about_its_length_stores_nothing,
                credentials_are_handed_over_revealed_and_purged_and_never_shown_to_clients,
                credentials_of_other_clients_and_forged_ids_are_not_found,
                hostile_credential_input_is_refused_with_nothing_stored,
                a_comment_is_answered_by_staff_and_read_as_from_the_firm,
                conversation_of_other_clients_and_forged_ids_is_not_found,
            );
        }
    };
    (@cases $bin:literal, $db:expr, $scheme:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                match Server::start(env!($bin), $db, $scheme) {
                    Some(server) => cases::$case(&server),
                    None => eprintln!("SKIPPED {}: DATABASE_URL is not set", stringify!($case)),
                }
            }
        )*
    };
}

#[test]
fn two_servers_share_one_s3_bucket_and_an_outage_is_503() {
    s3::two_servers_share_one_bucket_and_an_outage_is_503(
        env!("CARGO_BIN_EXE_axum-portal"),
        env!("CARGO_BIN_EXE_actix-portal"),
    );
}

// The whole suite on each server and store; the https variants check what changes when
// the public URL is https (cookie prefix and Secure, HSTS) behind a TLS-terminating proxy.
suite!(
    axum_sqlite,
    "CARGO_BIN_EXE_axum-portal",
    Db::Sqlite,
    Scheme::Http
);
suite!(
    actix_sqlite,
    "CARGO_BIN_EXE_actix-portal",
    Db::Sqlite,
    Scheme::Http
);
suite!(
    axum_postgres,
    "CARGO_BIN_EXE_axum-portal",
    Db::Postgres,
    Scheme::Http
);
suite!(
    actix_postgres,
    "CARGO_BIN_EXE_actix-portal",
    Db::Postgres,
    Scheme::Http
);
suite!(
    axum_memory_https,
    "CARGO_BIN_EXE_axum-portal",
    Db::Memory,
    Scheme::Https
);
suite!(
    actix_memory_https,
    "CARGO_BIN_EXE_actix-portal",
    Db::Memory,
    Scheme::Https
);

/// The cases that start their own server, on each of the two.
macro_rules! resilience {
    ($name:ident, $bin:literal) => {
        mod $name {
            #[test]
            fn slow_connections_neither_block_a_login_nor_outlive_the_header_timeout() {
                super::slow_clients::slow_connections_neither_block_a_login_nor_outlive_the_header_timeout(env!($bin));
            }

            #[test]
            fn slow_bodies_get_408_and_idle_connections_are_closed() {
                super::slow_clients::slow_bodies_get_408_and_idle_connections_are_closed(env!($bin));
            }

            #[test]
            fn the_connection_limit_holds_new_connections_until_one_closes() {
                super::slow_clients::the_connection_limit_holds_new_connections_until_one_closes(env!($bin));
            }

            #[test]
            fn sigterm_answers_requests_in_flight_and_delivers_queued_mail_then_exits_0() {
                super::shutdown::sigterm_answers_requests_in_flight_and_delivers_queued_mail_then_exits_0(env!($bin));
            }

            #[test]
            fn postgres_faults_answer_503_and_the_server_recovers_by_itself() {
                super::db_faults::postgres_faults_answer_503_and_the_server_recovers_by_itself(env!($bin));
            }
        }
    };
}

resilience!(axum_resilience, "CARGO_BIN_EXE_axum-portal");
resilience!(actix_resilience, "CARGO_BIN_EXE_actix-portal");

/// Where mail goes, on each of the two: a real SMTP server, failing ones, the log.
macro_rules! mail {
    ($name:ident, $bin:literal) => {
        mod $name {
            use super::smtp::{self, Answer};

            #[test]
            fn login_mail_arrives_by_smtp_and_its_link_and_code_each_log_in() {
                smtp::login_mail_arrives_by_smtp_and_its_link_and_code_each_log_in(env!($bin));
            }

            #[test]
            fn a_4xx_answer_is_logged_and_the_contact_gets_the_usual_answer() {
                smtp::failure_is_logged_and_the_contact_gets_the_usual_answer(
                    env!($bin),
                    Answer::TempFail,
                );
            }

            #[test]
            fn announcements_reminders_and_digests_arrive_by_smtp() {
                smtp::announcements_reminders_and_digests_arrive_by_smtp(env!($bin));
            }

            #[test]
            fn a_deferred_mail_is_sent_again_and_staff_see_both_attempts() {
                smtp::a_deferred_mail_is_sent_again_and_staff_see_both_attempts(env!($bin));
            }

            #[test]
            fn a_5xx_answer_is_logged_and_the_contact_gets_the_usual_answer() {
                smtp::failure_is_logged_and_the_contact_gets_the_usual_answer(
                    env!($bin),
                    Answer::PermFail,
                );
            }

            #[test]
            fn a_server_that_never_answers_is_logged_and_the_contact_gets_the_usual_answer() {
                smtp::failure_is_logged_and_the_contact_gets_the_usual_answer(
                    env!($bin),
                    Answer::Silent,
                );
            }

            #[test]
            fn starttls_is_required_unless_the_url_names_a_plain_relay() {
                smtp::starttls_is_required_unless_the_url_names_a_plain_relay(env!($bin));
            }

            #[test]
            fn line_breaks_in_stored_names_add_no_header() {
                smtp::line_breaks_in_stored_names_add_no_header(env!($bin));
            }
        }
    };
}

mail!(axum_mail, "CARGO_BIN_EXE_axum-portal");
mail!(actix_mail, "CARGO_BIN_EXE_actix-portal");

/// The vault's configuration, on each of the two: servers of their own.
macro_rules! vault {
    ($name:ident, $bin:literal) => {
        mod $name {
            use super::credentials;

            #[test]
            fn without_vault_keys_outside_demo_mode_credential_tasks_are_refused() {
                credentials::without_vault_keys_outside_demo_mode_credential_tasks_are_refused(
                    env!($bin),
                );
            }

            #[test]
            fn a_malformed_vault_key_stops_the_server_at_start() {
                credentials::a_malformed_vault_key_stops_the_server_at_start(env!($bin));
            }

            #[test]
            fn demo_mode_keeps_its_own_key_beside_the_database() {
                credentials::demo_mode_keeps_its_own_key_beside_the_database(env!($bin));
            }
        }
    };
}

vault!(axum_vault, "CARGO_BIN_EXE_axum-portal");
vault!(actix_vault, "CARGO_BIN_EXE_actix-portal");

#[test]
fn axum_refuses_an_unknown_demo_switch() {
    hostile::unknown_demo_switch_is_refused(env!("CARGO_BIN_EXE_axum-portal"));
}

#[test]
fn actix_refuses_an_unknown_demo_switch() {
    hostile::unknown_demo_switch_is_refused(env!("CARGO_BIN_EXE_actix-portal"));
}

#[test]
fn axum_refuses_to_start_without_smtp_outside_demo_mode() {
    hostile::without_smtp_or_demo_mode_the_server_refuses_to_start(env!(
        "CARGO_BIN_EXE_axum-portal"
    ));
}

#[test]
fn actix_refuses_to_start_without_smtp_outside_demo_mode() {
    hostile::without_smtp_or_demo_mode_the_server_refuses_to_start(env!(
        "CARGO_BIN_EXE_actix-portal"
    ));
}
