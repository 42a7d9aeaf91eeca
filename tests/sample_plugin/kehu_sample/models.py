from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehu_sdk import PluginModel


class SampleNote(PluginModel):
    __plugin__ = "sample"
    __tablename__ = "sample_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(String(200), nullable=False)
