"""The main window's pages: Today, Cases, Case detail, New emergency and Settings."""
