"""A small unit tree for tests: two wards with cells, a youth union, a mass organisation."""

from __future__ import annotations

from bot.domain.model.entities import Unit, UnitKind

UNITS = [
    Unit("TX", "Quận Thanh Xuân", UnitKind.DISTRICT, None, 0),
    Unit("KM", "Phường Khương Mai", UnitKind.WARD, "TX", 200),
    Unit("KT", "Phường Khương Trung", UnitKind.WARD, "TX", 200),
    Unit("NC", "Phường Nhân Chính", UnitKind.WARD, "TX", 200),
    Unit("DTN", "Đoàn TNCS Hồ Chí Minh quận", UnitKind.YOUTH_UNION, "TX", 200),
    Unit("MTTQ", "Ủy ban MTTQ quận", UnitKind.MASS_ORG, "TX", 0),
    Unit("DBCA", "Đảng bộ Công an quận", UnitKind.PARTY_COMMITTEE, "TX", 5),
    # A ward's party cells carry no quota of their own: they count toward the ward's 200.
    Unit("KM01", "Chi bộ Tổ dân phố số 1", UnitKind.PARTY_CELL, "KM", 0),
    Unit("KM02", "Chi bộ Tổ dân phố số 2", UnitKind.PARTY_CELL, "KM", 0),
    Unit("OLD", "Phường cũ", UnitKind.WARD, "TX", 200, active=False),
]

CSV_HEADER = "code,name,kind,parent,weekly_quota\n"


def units_csv(units: list[Unit] = UNITS) -> str:
    lines = [
        f"{u.code},{u.name},{u.kind.value},{u.parent or ''},{u.weekly_quota}\n"
        for u in units
        if u.active
    ]
    return CSV_HEADER + "".join(lines)
