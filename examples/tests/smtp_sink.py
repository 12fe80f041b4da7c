#!/usr/bin/env python3
"""An SMTP server for the black-box tests, on a loopback port.

    smtp_sink.py PORT FOLDER [accept|tempfail|tempfail_once|permfail|silent]

accept (the default) takes every message and saves it in FOLDER as 0001.json,
0002.json, ... (written whole, then renamed into place, so that a reader never sees
half a file): the envelope's sender and recipients, the message's own header lines as
sent (name and raw value, folded lines joined), its content type, and each text part
decoded. tempfail answers every message with 451 and permfail with 554, saving
nothing; tempfail_once answers the first login email (subject "Your login link...")
with 451 and accepts every other message. silent accepts connections and never sends a byte, not even the greeting.

It speaks plain SMTP only (no STARTTLS). It prints "ready" once it listens, and runs
until it is killed.
"""

import asyncio
import email
import email.policy
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller

ANSWERS = {
    "accept": "250 2.0.0 Saved",
    "tempfail": "451 4.3.0 Mailbox busy, try again later",
    "permfail": "554 5.7.1 Refused by policy",
}


class Saver:
    def __init__(self, folder, answer):
        self.folder = folder
        self.answer = answer
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.answer == "tempfail_once":
            raw = envelope.original_content or envelope.content
            subject = email.message_from_bytes(raw, policy=email.policy.default)["Subject"]
            if str(subject or "").startswith("Your login link"):
                self.answer = "accept"
                return ANSWERS["tempfail"]
        if self.answer not in ("accept", "tempfail_once"):
            return ANSWERS[self.answer]
        self.count += 1
        raw = envelope.original_content or envelope.content
        # The header lines as they came (compat32 keeps raw values), the parts decoded.
        head = email.message_from_bytes(raw, policy=email.policy.compat32)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [
            {"content_type": p.get_content_type(), "text": p.get_content()}
            for p in parsed.walk()
            if p.get_content_maintype() == "text"
        ]
        record = {
            "envelope_from": envelope.mail_from,
            "recipients": list(envelope.rcpt_tos),
            "headers": [[name, " ".join(value.split())] for name, value in head.items()],
            "content_type": parsed.get_content_type(),
            "parts": parts,
        }
        path = os.path.join(self.folder, "%04d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return ANSWERS["accept"]


async def silent(port):
    held = []

    async def hold(reader, writer):
        # Keep the connection open and say nothing until the client gives up.
        held.append(writer)
        await reader.read()

    server = await asyncio.start_server(hold, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    answer = sys.argv[3] if len(sys.argv) > 3 else "accept"
    if answer == "silent":
        asyncio.run(silent(port))
        return
    if answer not in ANSWERS and answer != "tempfail_once":
        sys.exit(
            "unknown answer %r: accept, tempfail, tempfail_once, permfail or silent" % answer
        )
    os.makedirs(folder, exist_ok=True)
    controller = Controller(
        Saver(folder, answer), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True
    )
    controller.start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
