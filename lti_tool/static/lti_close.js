/* End of dynamic registration: tell Moodle's registration window it can close (the message's subject is the
   script's data-subject, "org.imsglobal.lti.close"). */
(window.opener || window.parent).postMessage({subject: document.currentScript.dataset.subject}, "*");
