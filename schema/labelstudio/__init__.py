"""Label Studio integration: labeling config from the ontology, tasks (with pre-annotations),
conversion both ways, reading exports, agreement, and a thin client over label-studio-sdk."""

from tally.schema.labelstudio.config import label_config, project_description
from tally.schema.labelstudio.convert import layers_to_results, results_to_document

__all__ = ["label_config", "layers_to_results", "project_description", "results_to_document"]
