"""Knowledge as data: ransomware families, hearing questions, playbooks, guides."""
