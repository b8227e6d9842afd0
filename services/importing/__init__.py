"""History import 历史数据导入: past years' reports become the same events as live ones.

`lines` parses and checks one line of the file, `building` turns a checked report into
intake's `Petition` and routing's `Handling` at their historical moments, `importer`
writes them in batches into both event stores (idempotently), and `demo` writes a
synthetic history for the demo org tree in the same format.
"""
