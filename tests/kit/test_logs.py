"""SELLERKIT_LOG_FORMAT=json: one JSON object a line from sellerkit, the server and the worker."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import orjson
import pytest

from sellerkit.kit.logs import JsonFormatter, logging_config
from tests.served import env_for, serve


def _record(msg: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("sellerkit.scans", logging.WARNING, __file__, 1, msg, args, exc_info)


class TestJsonFormatter:
    def test_a_line_is_an_object_with_time_level_logger_message(self):
        line = orjson.loads(JsonFormatter().format(_record("scan %s: %s", 7, 'quote " and\nnewline')))
        assert set(line) == {"time", "level", "logger", "message"}
        assert (line["level"], line["logger"]) == ("warning", "sellerkit.scans")
        assert line["message"] == 'scan 7: quote " and\nnewline'
        assert line["time"].endswith("Z") and line["time"][10] == "T"

    def test_an_exception_comes_with_its_traceback(self):
        try:
            raise ValueError("boom")
        except ValueError:
            record = _record("failed", exc_info=sys.exc_info())
        text = JsonFormatter().format(record)
        assert "\n" not in text  # one line
        assert "ValueError: boom" in orjson.loads(text)["exception"]

    def test_sellerkit_s_loggers_write_json_lines_once_set_up(self, capsys):
        from sellerkit.kit.logs import setup_logging

        root = logging.getLogger()
        saved = root.handlers[:], root.level
        try:
            setup_logging("json", "info")
            logging.getLogger("sellerkit.queue").info("scan %s resumed", 3)
            logging.getLogger("sellerkit.queue").debug("not at info")
        finally:
            for handler in root.handlers[:]:
                root.removeHandler(handler)
            root.handlers[:], root.level = saved[0], saved[1]
        lines = _json_lines(capsys.readouterr().err)
        assert [(line["logger"], line["message"]) for line in lines] == [("sellerkit.queue", "scan 3 resumed")]

    def test_text_is_the_default_format(self):
        config = logging_config("text", "info")
        assert "()" not in config["formatters"]["sellerkit"]
        assert config["formatters"]["sellerkit"]["format"].startswith("%(asctime)s")


def _json_lines(text: str) -> list[dict]:
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.slow
class TestProcesses:
    def test_the_server_logs_json(self, tmp_path):
        import signal

        import httpx

        from tests.served import free_port

        env = env_for(tmp_path, SELLERKIT_LOG_FORMAT="json", SELLERKIT_ACCESS_LOG="off")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 120  # a first start loads the demo catalog: >30 s on a slow, busy 2-core machine
            while time.time() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        lines = _json_lines(err)
        loggers = {line["logger"] for line in lines}
        assert "_granian" in loggers, err[-2000:]  # Granian's own lines
        assert {"huey.consumer", "alembic.runtime.migration"} <= loggers, err[-2000:]  # through the root logger
        assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)

    def test_the_worker_logs_json(self, tmp_path):
        env = env_for(tmp_path, SELLERKIT_LOG_FORMAT="json")
        log = tmp_path / "worker.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "worker", "--threads", "1"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=out, text=True)
        deadline = time.time() + 60
        while "consumer started" not in log.read_text() and time.time() < deadline:
            time.sleep(0.1)
        proc.terminate()
        proc.wait(20)
        err = log.read_text()
        lines = _json_lines(err)
        assert lines, err[-2000:]
        assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
        assert any(line["logger"].startswith("huey") for line in lines), err[-2000:]
