"""`coordinator referrals ...`, `coordinator book` and `coordinator cancel`: the desks' services
on the command line, as a staff member, audited; they refuse exactly what the desk refuses, with
one line on stderr, exit 2, and nothing saved."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import FREE_DAY, FREE_DAY_TYPED
from tests.helpers.cli import one_line_error, run, run_process
from tests.helpers.engines import raw_connect


def cli(path, *args, user="demo"):
    return run("--db", str(path), *args, "--user", user)


def count(path, table: str) -> int:
    conn = raw_connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def insured_mrn(path) -> str:
    conn = raw_connect(path)
    try:
        return conn.execute("SELECT p.mrn FROM patients p JOIN coverages c ON c.patient_id = p.id "
                            "WHERE c.rank = 'primary' AND c.active AND p.merged_into_id IS NULL "
                            "ORDER BY p.id LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def test_add_book_list_show_update_cancel_round_trip(seeded_path):
    mrn = insured_mrn(seeded_path)
    assert cli(seeded_path, "referrals", "rules", "--type", "PROC", "--needs-auth", "yes",
               user="admin").returncode == 0
    refused = cli(seeded_path, "book", "--patient", mrn, "--type", "PROC", "--first-free", "--after",
                  FREE_DAY_TYPED)
    assert "PROC visits need a prior authorisation" in one_line_error(refused)
    added = cli(seeded_path, "referrals", "add", "--patient", mrn, "--kind", "auth", "--number", "CLI-1",
                "--types", "PROC", "--visits", "2", "--to", "T+120", "--status", "approved")
    assert added.returncode == 0, added.stderr
    rid = added.stdout.split()[-1]
    booked = cli(seeded_path, "book", "--patient", mrn, "--type", "proc", "--first-free", "--after",
                 FREE_DAY_TYPED)
    assert booked.returncode == 0, booked.stderr
    assert booked.stdout.startswith("booked appointment ") and f"{FREE_DAY:%Y-%m-%d}" in booked.stdout
    assert "authorisation CLI-1: 2 approved | 1 left" in booked.stdout
    appointment_id = booked.stdout.split()[2].rstrip(":")

    listed = json.loads(cli(seeded_path, "referrals", "list", "--patient", mrn, "--format", "json").stdout)
    assert [(r["number"], r["authorised"], r["used"], r["scheduled"], r["remaining"]) for r in listed] == [
        ("CLI-1", 2, 0, 1, 1)]
    table = list(csv.DictReader(io.StringIO(
        cli(seeded_path, "referrals", "list", "--expiring", "200", "--format", "csv").stdout)))
    assert [(r["id"], r["remaining"]) for r in table] == [(rid, "1")]

    cancelled = cli(seeded_path, "cancel", appointment_id, "--reason", "feeling better", "--by", "patient")
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cli(seeded_path, "referrals", "list", "--patient", mrn, "--format",
                          "json").stdout)[0]["remaining"] == 2
    updated = cli(seeded_path, "referrals", "update", rid, "--visits", "3", "--document", "payer letter")
    assert updated.returncode == 0, updated.stderr
    shown = json.loads(cli(seeded_path, "referrals", "show", rid, "--format", "json").stdout)
    assert shown["authorised"] == 3 and [d["document"] for d in shown["documents"]] == ["payer letter"]
    assert [(h["by"], h["field"], h["to"]) for h in shown["history"]][-3:] == [
        ("demo", "status", "active"), ("demo", "auth_visits", "3"), ("demo", "document", shown["history"][-1]["to"])]
    assert "visit " in cli(seeded_path, "referrals", "show", rid).stdout


def test_override_needs_a_supervisor_and_is_kept(seeded_path):
    mrn = insured_mrn(seeded_path)
    cli(seeded_path, "referrals", "rules", "--type", "PROC", "--needs-auth", "yes", user="admin")
    args = ("book", "--patient", mrn, "--type", "PROC", "--first-free", "--after", FREE_DAY_TYPED,
            "--override", "surgeon says urgent")
    assert "may not book without a valid authorisation" in one_line_error(cli(seeded_path, *args))
    assert count(seeded_path, "referral_visits") == 0
    done = cli(seeded_path, *args, user="super")
    assert done.returncode == 0, done.stderr
    assert "override (surgeon says urgent)" in done.stdout
    conn = raw_connect(seeded_path)
    assert conn.execute("SELECT override_reason FROM referral_visits").fetchall() == [("surgeon says urgent",)]
    conn.close()


@pytest.mark.parametrize("args, message", [
    (["referrals", "add", "--patient", "{mrn}", "--kind", "auth", "--from", "T+10", "--to", "T+2"],
     "is before the start date"),
    (["referrals", "add", "--patient", "{mrn}", "--kind", "auth", "--visits", "-2"], "cannot be negative"),
    (["referrals", "add", "--patient", "{mrn}", "--kind", "sideways"], "unknown kind"),
    (["referrals", "add", "--patient", "M9999999", "--kind", "auth"], "no patient with MRN M9999999"),
    (["referrals", "add", "--patient", "{mrn}", "--kind", "in", "--received", "T+3"], "in the future"),
    (["referrals", "add", "--patient", "{mrn}", "--kind", "in", "--to", "32/13"], "--to"),
    (["referrals", "list"], "give --patient MRN or --expiring DAYS"),
    (["referrals", "show", "424242"], "there is no referral 424242"),
    (["book", "--patient", "{mrn}", "--type", "FU", "--at", "T+20 25:00", "--provider", "CHEN"],
     "not a time of day"),
    (["book", "--patient", "{mrn}", "--type", "FU", "--at", "T+20 09:00"], "--at needs --provider"),
    (["book", "--patient", "{mrn}", "--type", "ZZZ", "--first-free"], "no appointment type"),
    (["cancel", "999999", "--reason", "x"], "appointment 999999 does not exist"),
])
def test_bad_input_is_one_line_and_saves_nothing(seeded_path, args, message):
    mrn = insured_mrn(seeded_path)
    before = (count(seeded_path, "referrals"), count(seeded_path, "appointments"), count(seeded_path, "audit_events"))
    result = cli(seeded_path, *[a.replace("{mrn}", mrn) for a in args])
    assert message in one_line_error(result)
    after = (count(seeded_path, "referrals"), count(seeded_path, "appointments"), count(seeded_path, "audit_events"))
    assert after[:2] == before[:2]


def test_a_referral_for_a_merged_patient_is_refused(seeded_path):
    conn = raw_connect(seeded_path)
    survivor, merged = conn.execute("SELECT mrn, id FROM patients ORDER BY id LIMIT 2").fetchall()
    conn.execute("UPDATE patients SET merged_into_id = (SELECT id FROM patients WHERE mrn = ?) WHERE id = ?",
                 (survivor[0], merged[1]))
    old_mrn = conn.execute("SELECT mrn FROM patients WHERE id = ?", (merged[1],)).fetchone()[0]
    conn.commit()
    conn.close()
    result = cli(seeded_path, "referrals", "add", "--patient", old_mrn, "--kind", "in")
    assert f"was merged into {survivor[0]}" in one_line_error(result)
    assert count(seeded_path, "referrals") == 0


def test_the_real_command_books_and_says_the_appointment_id(seeded_path):
    mrn = insured_mrn(seeded_path)
    result = run_process("--db", str(seeded_path), "book", "--patient", mrn, "--type", "FU", "--at",
                         f"{FREE_DAY:%Y-%m-%d} 09:00", "--provider", "CHEN", "--user", "demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("booked appointment ") and "09:00 with CHEN (FU)" in result.stdout


def test_an_update_with_a_future_document_saves_neither(seeded_path):
    mrn = insured_mrn(seeded_path)
    rid = cli(seeded_path, "referrals", "add", "--patient", mrn, "--kind", "in").stdout.split()[-1]
    events = count(seeded_path, "referral_events")
    result = cli(seeded_path, "referrals", "update", rid, "--visits", "3", "--document", "letter",
                 "--document-date", "T+2")
    assert "is in the future" in one_line_error(result)
    assert count(seeded_path, "referral_events") == events and count(seeded_path, "referral_documents") == 0


def test_a_payer_rule_changes_only_the_half_that_is_given(seeded_path):
    conn = raw_connect(seeded_path)
    payer = conn.execute("SELECT name FROM payers ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    first = cli(seeded_path, "referrals", "rules", "--payer", payer, "--no-show-uses", "no", user="admin")
    assert f"visit rule: {payer}: cancellation gives back a visit, no-show gives back one" in first.stdout
    # Saying only that a cancellation uses a visit leaves the no-show half as it was.
    second = cli(seeded_path, "referrals", "rules", "--payer", payer, "--cancelled-uses", "yes", user="admin")
    assert second.returncode == 0, second.stderr
    assert f"visit rule: {payer}: cancellation uses a visit, no-show gives back one" in second.stdout


@pytest.mark.parametrize("document, message", [("x" * 81, "too long"), ("letter\x1b[2J", "control characters")])
def test_an_update_with_a_bad_document_name_saves_neither(seeded_path, document, message):
    mrn = insured_mrn(seeded_path)
    rid = cli(seeded_path, "referrals", "add", "--patient", mrn, "--kind", "in").stdout.split()[-1]
    events = count(seeded_path, "referral_events")
    result = cli(seeded_path, "referrals", "update", rid, "--status", "closed", "--document", document)
    assert message in one_line_error(result)
    assert count(seeded_path, "referral_events") == events and count(seeded_path, "referral_documents") == 0
    shown = json.loads(cli(seeded_path, "referrals", "show", rid, "--format", "json").stdout)
    assert shown["status"] == "requested"


@pytest.mark.parametrize("args, message", [
    (["--type", "FU", "--needs-auth", "yes", "--documents", "photo_id,bogus"], "unknown document 'bogus'"),
    (["--type", "FU", "--documents", "consent", "--payer", "No Such Payer", "--no-show-uses", "no"],
     "there is no payer 'No Such Payer'"),
])
def test_rules_given_together_are_saved_together_or_not_at_all(seeded_path, args, message):
    tables = ("auth_requirements", "type_documents", "payer_visit_rules")
    before = [count(seeded_path, t) for t in tables]
    assert message in one_line_error(cli(seeded_path, "referrals", "rules", *args, user="admin"))
    assert [count(seeded_path, t) for t in tables] == before
