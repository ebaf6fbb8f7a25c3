"""A call's understanding is tuned by the settings of its environment snapshot, not by
the environment of whichever worker runs its turn: a call started on a worker set
for Britain understands a British number on a worker set for the United States."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import Workers, serve_on_temporal
from .conftest import LocalTemporal

__all__ = ["served"]  # the fixture

FLOWS = Path(__file__).parent / "flows"


def test_a_calls_phone_numbers_are_understood_in_the_region_it_started_in(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    (tmp_path / "app").mkdir()
    flow = Path(shutil.copyfile(FLOWS / "callback.flow", tmp_path / "app" / "callback.flow"))
    british = Workers(tmp_path / "gb", temporal, {"FLOWC_DEFAULT_REGION": "GB"})
    american = Workers(tmp_path / "us", temporal, {"FLOWC_DEFAULT_REGION": "US"})
    try:
        british.start([flow])
        server = serve_on_temporal(served, flow, temporal)
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            assert call.start().says == []
            british.started[0].kill()  # the snapshot was taken: the call is British
            american.start([flow])
            answered = call.answer("020 7946 0018")
            answered = call.follow_redirects() if answered.redirect else answered
            assert answered.says == ["We will call +442079460018. Goodbye."]
    finally:
        british.close()
        american.close()
