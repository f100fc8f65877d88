"""Papers a commune prints and signs: result letters, certificates, village lists and minutes, decisions.

Each paper is built as a :class:`~classifier.papers.document.Document` (header block, title, paragraphs,
tables, signatures) and rendered to PDF (:mod:`classifier.papers.pdf`) or DOCX
(:mod:`classifier.papers.word`).
"""
