"""The semantic layer (issue 13): descriptions, glossary, verified queries, lineage, explain, eval."""
