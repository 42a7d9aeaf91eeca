# New user-visible Chinese msgids of the backups work (issue 14, point 4) with their English translations,
# for the main engineer to merge into the catalogues. None: backups have no page; `kehu backup …` speaks
# English like kehu's other admin commands (`kehu db upgrade`, `kehu users …`).
BACKUP_TRANSLATIONS = {}
