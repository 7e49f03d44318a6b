"""Answers as JSON, stored with their request so that a retransmission gets the same one."""

from __future__ import annotations

from typing import Any

from openbss.charging.engine.contract import ChargingAnswer, ResultCode, ServiceGrant, ServiceUnits


def _units_json(units: ServiceUnits | None) -> dict[str, int | None] | None:
    if units is None:
        return None
    return {"seconds": units.seconds, "octets": units.octets, "messages": units.messages}


def _units_of(value: Any) -> ServiceUnits | None:
    if value is None:
        return None
    return ServiceUnits(value.get("seconds"), value.get("octets"), value.get("messages"))


def answer_to_json(answer: ChargingAnswer) -> dict[str, Any]:
    return {
        "sessionId": answer.session_id,
        "requestNumber": answer.request_number,
        "result": int(answer.result),
        "tcc": answer.tcc_s,
        "grants": [
            {
                "ratingGroup": g.rating_group,
                "result": int(g.result),
                "granted": _units_json(g.granted),
                "final": g.final_unit,
                "validity": g.validity_time_s,
            }
            for g in answer.grants
        ],
    }


def answer_from_json(document: dict[str, Any]) -> ChargingAnswer:
    return ChargingAnswer(
        session_id=document["sessionId"],
        request_number=int(document["requestNumber"]),
        result=ResultCode(document["result"]),
        grants=tuple(
            ServiceGrant(
                rating_group=int(g["ratingGroup"]),
                result=ResultCode(g["result"]),
                granted=_units_of(g["granted"]),
                final_unit=bool(g["final"]),
                validity_time_s=g["validity"],
            )
            for g in document["grants"]
        ),
        tcc_s=int(document["tcc"]),
    )
