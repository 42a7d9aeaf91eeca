import io
import subprocess
import sys
from pathlib import Path

import pytest

GEN = Path(__file__).resolve().parents[3] / "shared" / "tools" / "gen_customers.py"


def _generated(rows: int, seed: int = 5, dirty: float = 0.0, headers: str = "zh") -> str:
    return subprocess.run([sys.executable, str(GEN), "--rows", str(rows), "--seed", str(seed), "--headers", headers,
                           "--dirty", str(dirty)], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def generated_csv():
    """``generated_csv(rows, seed, dirty, headers)``: what ../shared/tools/gen_customers.py writes."""
    return _generated


@pytest.fixture
def upload(api_client_as):
    """``upload(user, content, filename, **options)`` → the API's answer to POST /api/v1/imports."""
    def post(user, content: bytes, filename="客户.csv", client=None, **options):
        client = client or api_client_as(user)
        data = {"file": (io.BytesIO(content), filename), **{k: str(v) for k, v in options.items()}}
        return client.post("/api/v1/imports", data=data, content_type="multipart/form-data")
    return post
