"""Rendering the domain's chart and table descriptions to PNG and XLSX files."""
