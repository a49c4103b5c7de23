"""Presentation: everything a person reads. Numbers and tables for people (readable), escaping
for data-derived Markdown/HTML (markup), figures saved with their data (plots), the CSS a page
keeps (pagecss) and the front page (frontpage). Analysis modules return numbers and frames;
sentences that state findings are built in sendlib.findings; this package shows them."""
