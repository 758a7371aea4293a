"""The inbox: raw updates, stored before they are acknowledged and handled after."""
