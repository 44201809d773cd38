"""The Renderer port's implementation: charts to PNG, tables to XLSX."""

from __future__ import annotations

from bot.domain.model.messages import Attachment, ChartSpec, TableSpec
from bot.render.chart import render_chart
from bot.render.spreadsheet import render_table


class FileRenderer:
    def render(self, spec: ChartSpec | TableSpec) -> Attachment:
        if isinstance(spec, ChartSpec):
            return render_chart(spec)
        return render_table(spec)
