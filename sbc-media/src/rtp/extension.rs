//! RTP header extensions (RFC 3550 section 5.3.1) and the RFC 8285 element forms.
//!
//! A relay mostly passes extensions through untouched, but it must be able to read
//! them (audio level, MID, transport-wide sequence numbers) without trusting the
//! lengths inside: the iterator bounds every element by the extension block.

use super::error::RtpError;

/// RFC 8285 section 4.2: the profile field of the one-byte form.
const ONE_BYTE_PROFILE: u16 = 0xbede;
/// RFC 8285 section 4.3: the two-byte form is 0x100 in the top 12 bits, appbits below.
const TWO_BYTE_PROFILE: u16 = 0x1000;
const TWO_BYTE_MASK: u16 = 0xfff0;
/// RFC 8285 section 4.2: ID 15 in the one-byte form stops processing of the block.
const ONE_BYTE_STOP_ID: u8 = 15;

/// Which element layout the extension block uses, from its profile field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionForm {
    /// 0xBEDE: 4-bit ID, 4-bit length-minus-one.
    OneByte,
    /// 0x100X: 8-bit ID, 8-bit length; carries the 4 "appbits".
    TwoByte { appbits: u8 },
    /// Any other profile: opaque to us.
    Other(u16),
}

/// The extension block of one packet: profile field plus body (without its header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
}

impl<'a> HeaderExtension<'a> {
    pub(crate) fn new(profile: u16, data: &'a [u8]) -> Self {
        Self { profile, data }
    }

    /// The 16-bit "defined by profile" field.
    pub fn profile(&self) -> u16 {
        self.profile
    }

    /// The body, a multiple of 4 bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The RFC 8285 form, or `Other` for a profile-specific extension.
    pub fn form(&self) -> ExtensionForm {
        if self.profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if self.profile & TWO_BYTE_MASK == TWO_BYTE_PROFILE {
            ExtensionForm::TwoByte {
                appbits: (self.profile & 0x0f) as u8,
            }
        } else {
            ExtensionForm::Other(self.profile)
        }
    }

    /// The RFC 8285 elements; empty for an `Other` profile.
    pub fn elements(&self) -> ExtElements<'a> {
        let two_byte = match self.form() {
            ExtensionForm::OneByte => false,
            ExtensionForm::TwoByte { .. } => true,
            ExtensionForm::Other(_) => {
                return ExtElements {
                    rest: &[],
                    two_byte: false,
                }
            }
        };
        ExtElements {
            rest: self.data,
            two_byte,
        }
    }
}

/// One RFC 8285 element: local ID (1-14 one-byte, 1-255 two-byte) and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtElement<'a> {
    pub id: u8,
    pub data: &'a [u8],
}

/// Iterator over RFC 8285 elements. Skips padding bytes (ID 0), stops at ID 15 in the
/// one-byte form, and yields one error then stops if an element overruns the block.
#[derive(Debug, Clone)]
pub struct ExtElements<'a> {
    rest: &'a [u8],
    two_byte: bool,
}

impl<'a> Iterator for ExtElements<'a> {
    type Item = Result<ExtElement<'a>, RtpError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&first, after) = self.rest.split_first()?;
            // Padding is a single zero byte in both forms.
            if first == 0 {
                self.rest = after;
                continue;
            }
            let (id, len, body) = if self.two_byte {
                let Some((&len, body)) = after.split_first() else {
                    return self.fail(first);
                };
                (first, usize::from(len), body)
            } else {
                let id = first >> 4;
                if id == ONE_BYTE_STOP_ID {
                    self.rest = &[];
                    return None;
                }
                // One-byte form: the 4-bit length is data length minus one.
                (id, usize::from(first & 0x0f) + 1, after)
            };
            let Some(data) = body.get(..len) else {
                return self.fail(id);
            };
            self.rest = body.get(len..).unwrap_or_default();
            return Some(Ok(ExtElement { id, data }));
        }
    }
}

impl<'a> ExtElements<'a> {
    fn fail(&mut self, id: u8) -> Option<Result<ExtElement<'a>, RtpError>> {
        self.rest = &[];
        Some(Err(RtpError::ExtElementOverrun { id }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(ext: HeaderExtension<'_>) -> Vec<Result<(u8, Vec<u8>), RtpError>> {
        ext.elements()
            .map(|e| e.map(|e| (e.id, e.data.to_vec())))
            .collect()
    }

    #[test]
    fn one_byte_form_with_padding() {
        // id 1 len 1 (audio level), pad, id 3 len 3, then pad to the word boundary.
        let data = [0x10, 0x85, 0x00, 0x32, 1, 2, 3, 0x00];
        let ext = HeaderExtension::new(0xbede, &data);
        assert_eq!(ext.form(), ExtensionForm::OneByte);
        assert_eq!(
            collect(ext),
            vec![Ok((1, vec![0x85])), Ok((3, vec![1, 2, 3]))]
        );
    }

    #[test]
    fn one_byte_id_15_stops() {
        let data = [0x10, 0xaa, 0xf3, 0x20, 0xbb, 0, 0, 0];
        let ext = HeaderExtension::new(0xbede, &data);
        assert_eq!(collect(ext), vec![Ok((1, vec![0xaa]))]);
    }

    #[test]
    fn two_byte_form() {
        // id 7 len 0, id 200 len 3, pad.
        let data = [7, 0, 200, 3, 9, 8, 7, 0];
        let ext = HeaderExtension::new(0x1002, &data);
        assert_eq!(ext.form(), ExtensionForm::TwoByte { appbits: 2 });
        assert_eq!(
            collect(ext),
            vec![Ok((7, vec![])), Ok((200, vec![9, 8, 7]))]
        );
    }

    #[test]
    fn overrun_is_an_error_once() {
        let ext = HeaderExtension::new(0xbede, &[0x1f, 1, 2, 3]);
        assert_eq!(
            collect(ext),
            vec![Err(RtpError::ExtElementOverrun { id: 1 })]
        );
        let ext = HeaderExtension::new(0x1000, &[0, 0, 0, 5]);
        assert_eq!(
            collect(ext),
            vec![Err(RtpError::ExtElementOverrun { id: 5 })]
        );
    }

    #[test]
    fn other_profile_is_opaque() {
        let ext = HeaderExtension::new(0xabac, &[1, 2, 3, 4]);
        assert_eq!(ext.form(), ExtensionForm::Other(0xabac));
        assert_eq!(ext.elements().count(), 0);
    }
}
