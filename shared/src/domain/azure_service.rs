//! Azure's storage services a source can use (docs/SPEC.md §4): the one place that knows them,
//! their `service_type` values and which credential names the container or share.

/// Which of Azure's services an `azure` source uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AzureService {
    Blob,
    FileShare,
}

impl AzureService {
    pub const ALL: [AzureService; 2] = [AzureService::Blob, AzureService::FileShare];

    /// Its `service_type` credential value.
    pub fn as_str(&self) -> &'static str {
        match self {
            AzureService::Blob => "blob",
            AzureService::FileShare => "file-share",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The service an `azure` source does not use, whose credential it may not give.
    pub fn other(&self) -> Self {
        match self {
            AzureService::Blob => AzureService::FileShare,
            AzureService::FileShare => AzureService::Blob,
        }
    }

    /// The credential naming what the service holds the images in: required with it, refused
    /// with the other.
    pub fn resource_key(&self) -> &'static str {
        match self {
            AzureService::Blob => "container_name",
            AzureService::FileShare => "share_name",
        }
    }

    /// What the service calls the thing the images are in, for messages.
    pub fn resource_noun(&self) -> &'static str {
        match self {
            AzureService::Blob => "container",
            AzureService::FileShare => "share",
        }
    }

    /// The host label of its endpoint, `<account>.<label>.core.windows.net`.
    pub fn host_label(&self) -> &'static str {
        match self {
            AzureService::Blob => "blob",
            AzureService::FileShare => "file",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_nothing_else_parses() {
        for service in AzureService::ALL {
            assert_eq!(AzureService::parse(service.as_str()), Some(service));
        }
        for other in ["", "Blob", "file", "file_share", "queue"] {
            assert_eq!(AzureService::parse(other), None, "{other}");
        }
    }
}
