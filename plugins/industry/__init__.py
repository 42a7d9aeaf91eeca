"""kehu plugin `industry`: Industry-specific customer fields (JSON Schema packs)."""
