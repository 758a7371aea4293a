"""The library of safety messages: shipped files and operators' own, in Vietnamese and English."""
