"""Calls on Temporal: one call is one durable workflow, run by workers that scale out.

- workflow.py: the `FlowCall` workflow, which runs the call's steps with the
  driver (driver.py) and takes each caller turn as an update;
- activities.py: the steps that reach the world (`request`, `send sms`,
  `send email`), `code` steps and the environment snapshot, run by workers as
  activities;
- programs.py: the builds a worker runs, as the workflow finds them;
- connection.py: the client (with the codec) and the task queue of a build;
- codec.py: every payload encrypted with FLOWC_PAYLOAD_KEY (AES-GCM);
- engine.py: the serving side (`flowc serve --engine temporal`), which starts
  and updates the calls' workflows instead of reading a call store;
- worker.py and cli.py: `flowc-worker DIR --flow MODULE:FLOW`.

Needs the `temporal` extra (temporalio, cryptography).
"""
