"""A combo box over an enum that hands back enum members (Qt turns StrEnum data into str)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Generic, TypeVar

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QComboBox, QWidget

from ui.formatting import label

E = TypeVar("E", bound=StrEnum)


class EnumCombo(QComboBox, Generic[E]):
    def __init__(
        self,
        enum_cls: type[E],
        *,
        none_text: str | None = None,
        members: Iterable[E] | None = None,
        icons: dict[E, QIcon] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.enum_cls = enum_cls
        if none_text is not None:
            self.addItem(none_text, "")
        for member in members if members is not None else enum_cls:
            if icons and member in icons:
                self.addItem(icons[member], label(member), member.value)
            else:
                self.addItem(label(member), member.value)

    def value(self) -> E | None:
        data = self.currentData()
        return self.enum_cls(data) if data else None

    def set_value(self, member: E | None) -> None:
        index = self.findData(member.value if member is not None else "")
        if index >= 0:
            self.setCurrentIndex(index)
