"""The probe's outcome vocabulary (design note probe.md §5), spelled exactly as the JSON reports it."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    OK = "OK"
    TRUNCATED = "TRUNCATED"
    TIMEOUT = "TIMEOUT"
    REFUSE_SCHEME = "REFUSE:scheme"
    REFUSE_SYNTAX = "REFUSE:syntax"
    REFUSE_USERINFO = "REFUSE:userinfo"
    REFUSE_PORT = "REFUSE:port"
    REFUSE_ADDR = "REFUSE:addr"
    REFUSE_HOPS = "REFUSE:hops"
    ERROR_PROTOCOL = "ERROR:protocol"
    ERROR_TLS = "ERROR:tls"
    ERROR_DNS = "ERROR:dns"
    ERROR_CONNECT = "ERROR:connect"
    DISABLED = "DISABLED"
    BUSY = "BUSY"

    @property
    def is_refusal(self) -> bool:
        return self.value.startswith("REFUSE:")
