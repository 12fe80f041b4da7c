//! Test support (feature `testing`): a manual clock, a seeded secret source, and the
//! store conformance suite that every [`Store`] implementation runs.
//!
//! ```ignore
//! async fn fixture() -> Option<portal_core::testing::Fixture> {
//!     Some(portal_core::testing::Fixture::single(std::sync::Arc::new(MyStore::new())))
//! }
//! portal_core::store_conformance!(fixture);
//! ```
//!
//! The macro expands to one `#[test]` per rule, named after it, so a failing store shows
//! which rule it broke. A factory returning `None` (no database configured) makes every
//! case print that it was skipped.

pub mod blob;
pub mod conformance;
mod recording;
pub mod seaweed;
pub mod upload;
mod world;

use std::future::Future;
use std::sync::Arc;

pub use crate::clock::ManualClock;
pub use crate::random::SeededSecretSource;
pub use recording::RecordingStore;
pub use world::{START, VAULT_KEY, World, code_in};

use crate::store::Store;

/// Two handles on one store, as two application instances would hold them (two pools
/// on one database). For an in-process store both are the same.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// The first instance.
    pub primary: Arc<dyn Store>,
    /// The second instance.
    pub secondary: Arc<dyn Store>,
    /// Where both instances keep file bytes; `None`: in memory, dated by the world's
    /// clock.
    pub files: Option<Arc<dyn crate::blob::BlobStore>>,
}

impl Fixture {
    /// One store used as both instances.
    #[must_use]
    pub fn single(store: Arc<dyn Store>) -> Self {
        Fixture {
            secondary: store.clone(),
            primary: store,
            files: None,
        }
    }
}

/// Runs one conformance case on a fresh multi-threaded runtime (real parallelism for
/// the race cases). Prints a skip notice when `factory` yields `None`.
#[allow(clippy::expect_used)] // a test harness: no runtime is a broken machine
pub fn run_case<F, Fut, C, CFut>(name: &str, factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<Fixture>>,
    C: FnOnce(Fixture) -> CFut,
    CFut: Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        match factory().await {
            Some(fixture) => case(fixture).await,
            None => eprintln!("SKIPPED {name}: no database configured (set DATABASE_URL)"),
        }
    });
}

/// Expands to one `#[test]` per conformance rule, each running on a fresh fixture from
/// `$factory` (an `async fn() -> Option<Fixture>`).
///
/// The rules are listed once, in the `@cases` arm: the tests and [`CONFORMANCE_CASES`]
/// are both made from that list, and a test of this crate fails when a case in
/// `testing/conformance` is missing from it.
#[macro_export]
macro_rules! store_conformance {
    (@cases $($then:tt)*) => {
        $crate::store_conformance! { @$($then)*;
            link_redeems_once_under_concurrency,
            older_link_is_refused_after_a_new_one_is_issued,
            racing_issuances_leave_exactly_one_live_link,
            redeeming_while_a_new_link_is_issued_never_uses_an_invalidated_link,
            link_expires_after_its_lifetime,
            unknown_or_foreign_link_changes_nothing,
            used_link_is_recorded_for_support,
            binding_is_required_only_when_policy_says_so,
            link_next_target_is_the_one_stored_at_issue,
            code_allows_five_guesses_then_dies,
            code_answers_never_tell_a_known_address,
            concurrent_guesses_cannot_exceed_the_limit,
            sixth_code_of_an_attempt_is_refused,
            resend_kills_the_previous_code,
            code_expires_after_its_lifetime,
            code_redeems_once_under_concurrency,
            new_challenge_kills_the_older_one,
            failure_counter_survives_new_codes_and_backs_off,
            throttle_allows_the_limit_per_sliding_window,
            throttle_is_atomic_across_instances,
            a_throttled_ip_is_refused_before_any_hashing,
            unknown_addresses_back_off_as_contacts_do_and_hash_nothing_then,
            unknown_addresses_codes_run_out_as_contacts_codes_do,
            a_resent_code_is_in_the_audit_log,
            failure_counters_are_forgotten_after_thirty_days,
            refusal_windows_are_counted_and_summarised_once,
            idle_session_expires_and_activity_renews_it,
            absolute_lifetime_is_never_extended,
            renewal_writes_at_most_once_per_interval,
            concurrent_renewals_write_once,
            login_rotates_the_session_id,
            suspended_contact_is_refused_at_next_verification,
            revoked_contact_needs_a_new_invitation,
            revocation_takes_the_grants_and_the_password,
            a_contact_s_phone_is_set_by_staff_and_invitations_and_cleared,
            status_changes_never_undo_a_suspension_or_a_revocation,
            ungrant_ends_sessions_on_that_client,
            granted_clients_follow_the_grants,
            merged_contact_switches_only_to_granted_clients,
            permission_changes_reach_live_sessions,
            permission_changes_race_logins_and_switches,
            suspensions_and_ungrants_race_logins_and_switches,
            staff_revoke_one_session_and_all_sessions,
            secrets_from_a_clock_ahead_live_until_their_stamped_expiry,
            a_clock_behind_a_session_verifies_it_and_renews_nothing,
            a_clock_stepping_back_after_a_renewal_extends_nothing,
            the_absolute_lifetime_holds_however_the_clock_moves,
            a_secret_of_one_flow_is_refused_in_every_other,
            password_link_is_single_use_and_revokes_sessions,
            password_link_expires_after_thirty_minutes,
            concurrent_password_guesses_cannot_pass_one_backoff_check,
            personal_link_identifies_but_never_authenticates,
            audit_chain_holds_under_concurrent_appends,
            audit_entries_round_trip,
            purge_removes_expired_rows_in_batches,
            concurrent_invitations_create_one_contact,
            an_invitation_is_recorded_whole_or_not_at_all,
            directory_round_trips,
            a_firm_is_found_by_its_key_and_takes_the_settings_of_each_start,
            instances_starting_at_once_with_one_key_make_one_firm,
            invalid_firm_settings_are_refused_and_write_nothing,
            tasks_round_trip_in_order,
            task_completion_is_idempotent,
            tasks_of_other_clients_and_the_firm_side_are_out_of_reach,
            phases_are_ordered_and_unique_per_client,
            every_evidence_type_round_trips,
            the_first_submission_stands,
            concurrent_submissions_leave_one_standing,
            checklist_items_toggled_from_both_sides_end_consistent,
            withdrawn_tasks_are_kept_and_recorded,
            staff_reorder_and_move_tasks_within_their_firm,
            staff_complete_the_firms_own_tasks_once,
            control_characters_are_refused_where_text_enters,
            no_input_gets_a_server_error,
            link_confirmation_shows_the_masked_address_and_spends_nothing,
            a_task_completed_while_being_created_is_whole_or_absent,
            an_invitation_racing_its_clients_creation_is_whole_or_absent,
            hostile_text_stays_data_in_the_audit_and_its_export,
            preview_link_starts_a_read_only_session_that_is_no_login,
            preview_link_redeems_once_under_concurrency,
            preview_link_expires_and_is_refused_where_it_cannot_show_anything,
            a_preview_changes_nothing,
            a_document_request_goes_from_requested_through_rejection_to_approval,
            files_are_read_only_by_those_the_grants_allow,
            a_withdrawn_upload_is_gone_and_a_reviewed_one_cannot_be_withdrawn,
            a_review_and_a_withdrawal_racing_leave_one_standing,
            an_upload_racing_a_review_is_taken_only_after_it,
            racing_uploads_and_the_storage_limit_admit_what_fits,
            orphaned_blobs_are_swept_and_recorded_ones_kept,
            a_preview_uploads_and_withdraws_nothing,
            dropped_files_expire_and_then_nobody_reads_them,
            a_drop_is_deleted_by_its_contact_or_downloaded_by_staff_never_both,
            a_signature_is_for_the_document_shown_and_checked_against_its_bytes,
            a_signature_racing_a_replaced_document_signs_only_what_was_shown,
            a_question_is_answered_with_a_receipt_its_readers_alone_see,
            only_published_files_are_listed_as_published,
            a_credential_is_sealed_and_its_contact_reads_back_no_value,
            a_credential_is_replaced_until_revealed_and_stands_after,
            a_reveal_needs_a_reason_the_firm_and_room_under_the_hourly_limit,
            a_purged_credential_keeps_its_record_and_gives_nothing,
            credentials_are_refused_to_other_clients_and_without_a_vault,
            a_moved_or_altered_value_and_a_missing_key_are_reported_never_opened,
            rotation_reseals_everything_while_contacts_hand_over_and_staff_reveal,
            closed_credentials_are_purged_after_the_policy_s_delay,
            comments_are_read_by_both_sides_and_only_where_granted,
            questions_reach_the_firm_about_the_client_asked_for,
            a_client_s_activity_is_its_audit_entries_newest_first,
            a_contact_s_comments_and_questions_are_limited_per_window,
            a_submitted_credential_is_version_1_and_completes_its_task,
            a_credential_replaced_before_its_reveal_is_the_next_version,
            a_revealed_credential_cannot_be_replaced,
            a_credential_reveal_keeps_the_first_time_and_is_recorded_each_time,
            a_purged_credential_keeps_its_record_and_refuses_replacement_and_reveal,
            a_credential_against_a_changed_definition_is_refused,
            a_withdrawn_task_refuses_its_credential,
            credentials_of_closed_tasks_are_listed_in_id_order_after_the_last,
            credentials_to_rotate_are_listed_in_id_order_after_the_last,
            a_credential_rewrap_loses_to_a_replacement_or_a_purge,
            a_credential_replacement_racing_a_reveal_is_read_or_refused,
            comments_round_trip_oldest_first_on_both_instances,
            a_comment_on_a_withdrawn_or_unknown_task_is_refused_and_writes_nothing,
            comments_racing_a_withdrawal_are_stored_before_it_or_refused,
            questions_are_listed_by_firm_and_client_newest_first_in_pages,
            a_clients_activity_is_its_audit_entries_newest_first_and_the_chain_verifies,
            queued_messages_are_claimed_by_one_claim_until_its_lease_ends,
            racing_claims_never_share_a_message,
            claims_leave_messages_sealed_under_keys_they_lack,
            an_attempt_is_recorded_only_by_the_claim_holding_the_message,
            a_deferred_message_is_due_again_at_its_retry_and_a_failed_one_never,
            queueing_is_all_or_none_and_a_failed_operation_queues_nothing,
            a_contact_s_messages_are_listed_newest_first_with_their_attempts,
            stale_messages_are_given_up_unless_a_claim_holds_them,
            two_instances_deliver_every_message_exactly_once,
            a_worker_killed_mid_delivery_loses_and_doubles_nothing,
            new_tasks_are_announced_once_together_after_their_grace_period,
            instances_announcing_at_once_announce_each_task_once,
            reminders_follow_the_count_and_interval_and_stop_when_the_task_closes,
            reminders_skip_paused_and_suspended_contacts,
            reminders_wait_for_the_firm_s_working_hours_in_its_time_zone,
            notices_are_recorded_all_or_nothing_and_once,
            a_client_s_recipients_are_its_grant_holders_with_their_pauses,
            staff_hear_of_activity_at_once_or_daily_without_what_was_undone,
            staff_cursors_and_digests_move_once,
            a_contact_with_a_phone_also_gets_texts_when_the_firm_sends_them,
        }
    };
    (@tests $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::run_case(stringify!($case), $factory, $crate::testing::conformance::$case);
            }
        )*
    };
    (@names; $($case:ident),* $(,)?) => {
        &[$(stringify!($case)),*]
    };
    ($factory:path) => {
        $crate::store_conformance!(@cases tests $factory);
    };
}

/// Every store trait with the names of its operations, in the order the contract
/// declares them: what [`RecordingStore::hold_after`] and the tests of the "writing a
/// store" guide check names against.
pub const STORE_OPERATIONS: &[(&str, &[&str])] = crate::store::OPERATIONS;

/// The name of every case [`store_conformance!`](crate::store_conformance) runs, in the
/// order it runs them.
pub const CONFORMANCE_CASES: &[&str] = store_conformance!(@cases names);
